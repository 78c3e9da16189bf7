site-title = Clínica Jurídica Harbour
site-emergency = Si está en peligro ahora, llame al 112.
site-address =
    Calle del Muelle 4
    Port Town
form-intake-title = Pida ayuda a la Clínica Jurídica Harbour
    .intro = Damos asesoría legal gratuita a personas que piden asilo en Port Town. Cuéntenos su caso y cómo contactarle de forma segura.
field-intake-contact = ¿Cómo podemos contactarle de forma segura?
    .help = Un número de teléfono, un correo electrónico o una aplicación de mensajes. Díganos si hay horas en que no es seguro.
fieldset-intake-case = Su caso
    .help = Deje en blanco lo que no sepa.
field-intake-case_number = Número de caso
    .help = 8 o 9 cifras, a veces con una A delante. Aparece en las cartas de la oficina de inmigración.
    .placeholder = A123456789
    .error = Un número de caso tiene 8 o 9 cifras, a veces con una A delante, como A123456789.
field-intake-hearing = Fecha de su próxima audiencia
field-intake-household = ¿Cuántas personas de su familia están aquí, contándole a usted?
field-intake-message = ¿Qué ayuda necesita?
