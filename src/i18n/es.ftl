# sealpost — Spanish catalog (Español). Exactly the message ids of en.ftl; formal "usted".
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.

## Every page

site-title = Contacto seguro
language-label = Idioma
skip-link = Ir al formulario
privacy-title = Qué pasa con su mensaje
privacy-body = Su mensaje y sus documentos se cierran con llave (se cifran) en cuanto llegan. Solo nuestro personal puede abrirlos, en sus propias computadoras. Este sitio web no registra su dirección de internet y no se guarda nada en su navegador.
quick-exit = Salir rápido de este sitio
status-link = Leer nuestra respuesta
privacy-notice-link = Nuestro aviso de privacidad

## Front page

index-title = ¿Cómo podemos ayudarle?
index-intro = Elija lo que desea hacer. Puede escribir en cualquier idioma.

## Forms

required = obligatorio
optional = opcional
send = Enviar de forma segura
honeypot-label = Deje este campo vacío
files-limit =
    { $count ->
        [one] Puede adjuntar como máximo { $count } archivo, de hasta { $size }.
       *[other] Puede adjuntar hasta { $count } archivos, de hasta { $size } cada uno.
    }
size-mb = { $size } MB
size-kb = { $size } KB
files-not-kept = Por su seguridad, los documentos adjuntos no se conservan cuando el formulario se muestra de nuevo. Por favor, adjúntelos otra vez.
error-summary-title = Por favor, revise el formulario
problem-too-fast = Por favor, revise sus respuestas y luego pulse “Enviar de forma segura” otra vez.
problem-expired = Esta página estuvo abierta mucho tiempo. Por favor, revise sus respuestas y luego pulse “Enviar de forma segura” otra vez.
problem-invalid = No se pudo enviar su mensaje. Por favor, revise sus respuestas y luego pulse “Enviar de forma segura” otra vez.
problem-used = Ya se envió un mensaje desde esta página, así que es probable que el suyo haya llegado. Para enviar otro, revise sus respuestas y luego pulse “Enviar de forma segura” otra vez.
error-required = Por favor, complete este campo.
error-checkbox-required = Por favor, marque esta casilla para continuar.
error-too-long =
    { $max ->
        [one] Por favor, acorte este texto a { $max } carácter o menos.
       *[other] Por favor, acorte este texto a { $max } caracteres o menos.
    }
error-email = Por favor, escriba una dirección de correo electrónico como nombre@example.org, o deje este campo vacío.
error-tel = Por favor, escriba un número de teléfono usando solo números, espacios y + ( ) - .
error-select = Por favor, elija una de las opciones.
error-file-too-large = “{ $name }” es demasiado grande. Cada archivo puede tener hasta { $max }.
error-too-many-files =
    { $max ->
        [one] Puede adjuntar como máximo { $max } archivo. Por favor, elija menos.
       *[other] Puede adjuntar hasta { $max } archivos. Por favor, elija menos.
    }
error-file-name = Uno de los archivos tiene un nombre que no se puede usar. Por favor, cámbiele el nombre y adjúntelo otra vez.
value-yes = Sí
date-placeholder = aaaa-mm-dd
error-date = Por favor, escriba una fecha real en el orden año-mes-día, por ejemplo 2026-03-31.
error-number = Por favor, escriba un número entero usando solo cifras, por ejemplo 3.
error-number-range = Por favor, escriba un número del { $min } al { $max }.
error-pattern = Esta respuesta no tiene la forma que esperamos. Por favor, lea el texto de ayuda e inténtelo de nuevo.
error-choices-required = Por favor, elija al menos una opción.

## After sending

sent-title = Su mensaje se ha enviado
sent-body = Gracias. Su mensaje está guardado de forma segura y cerrado con llave para que solo nuestro personal pueda leerlo.
sent-next = Una persona de nuestro equipo se comunicará con usted usando los datos que nos dio. Esto puede tardar unos días. Ya puede cerrar esta página.
sent-again = Enviar otro mensaje
receipt-title = Su código
receipt-intro = Apunte estos números y guárdelos donde nadie los vea. Con ellos puede volver a este sitio web para leer nuestra respuesta y para escribirnos otra vez.
receipt-warning = Cualquier persona que tenga estos números puede leer nuestra respuesta. No se los dé a nadie y no los guarde donde otras personas puedan verlos.
receipt-shown-once = Su código se mostró una sola vez, en la página que apareció justo después del envío. Por su seguridad, no se vuelve a mostrar.
receipt-missing = Esta vez no pudimos crear un código. Usaremos los datos de contacto que nos dio, si nos dio alguno.
receipt-next = Para leer nuestra respuesta más tarde, elija “Leer nuestra respuesta” en la parte de arriba de cualquier página de este sitio web y escriba su código.

## Reading an answer

status-title = Leer nuestra respuesta
status-intro = Escriba el código que apuntó después de enviar su mensaje. No importa si pone espacios o guiones.
status-receipt-label = Su código
status-receipt-help = 25 cifras, en cinco grupos de cinco.
status-check = Ver la respuesta
status-error-length =
    Un código tiene 25 cifras. Usted escribió { $count ->
        [one] { $count } cifra
       *[other] { $count } cifras
    }.
status-error-characters = Un código tiene solo cifras. Por favor, revise lo que escribió.
status-error-group = El grupo { $group } de su código parece incorrecto. Por favor, revíselo.
status-not-found-title = No encontramos ninguna conversación con este código
status-not-found-body =
    Por favor, revise el código e inténtelo de nuevo. Una conversación se borra cuando usted la borra, o { $days ->
        [one] { $days } día
       *[other] { $days } días
    } después del último mensaje.
status-busy-title = Por favor, inténtelo de nuevo en un momento
status-busy-body = Muchas personas están leyendo respuestas en este momento. Por favor, espere un minuto y luego inténtelo de nuevo.
conversation-title = Su conversación
conversation-read = Nuestro equipo ha recibido su mensaje.
conversation-unread = Nuestro equipo todavía no ha abierto su mensaje.
conversation-replies = Nuestras respuestas
conversation-no-replies = Todavía no hay ninguna respuesta. Por favor, vuelva más tarde.
conversation-reply-date = Respuesta del { $date }
conversation-download = Descargar “{ $name }”
conversation-expires = Esta conversación se borrará el { $date } si nadie escribe antes.
conversation-write = Escríbanos otra vez
conversation-message = Su mensaje
conversation-documents = Documentos
conversation-delete = Borrar esta conversación
conversation-delete-intro = Si la borra, nadie podrá volver a leer nuestras respuestas con este código. Lo que ya nos envió se queda con nuestro equipo.
conversation-delete-confirm = Entiendo. Quiero borrar esta conversación ahora.
conversation-delete-button = Borrar ahora
conversation-deleted-title = La conversación se borró
conversation-deleted-body = Ya no se pueden leer nuestras respuestas con este código.
followup-sent-title = Su mensaje se ha enviado
followup-sent-body = Gracias. Use su código para leer nuestra respuesta más tarde.

## Error pages

back-home = Volver a la página de inicio
error-not-found-title = Página no encontrada
error-not-found-body = No hay ninguna página en esta dirección. Por favor, revise la dirección o vuelva a la página de inicio.
error-method-title = Esta acción no es posible
error-method-body = Esta página no se puede usar de esta manera. Por favor, vuelva a la página de inicio.
error-too-large-title = Su mensaje es demasiado grande
error-too-large-body = Su mensaje y sus documentos juntos pueden ocupar hasta { $max }. Por favor, vuelva atrás, adjunte menos documentos o documentos más pequeños, y envíe otra vez.
error-rate-title = Por favor, espere antes de enviar otra vez
error-rate-body =
    Se han enviado muchos mensajes desde su conexión o a este servicio en poco tiempo. Por favor, espere { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }, luego vuelva atrás y envíe otra vez. Su mensaje todavía no se ha enviado.
error-full-title = No podemos recibir mensajes en este momento
error-full-body = Por ahora, el servicio no puede guardar mensajes nuevos. Su mensaje no se ha enviado. Por favor, inténtelo de nuevo más tarde.
error-timeout-title = El envío tardó demasiado
error-timeout-body = No pudimos recibir su mensaje a tiempo, quizás porque la conexión es lenta. Su mensaje no se ha enviado. Por favor, vuelva atrás e inténtelo de nuevo, quizás con menos documentos.
error-bad-request-title = No se pudo leer el formulario
error-bad-request-body = Algo salió mal al enviar el formulario. Su mensaje no se ha enviado. Por favor, vuelva al formulario e inténtelo de nuevo.
error-unsupported-title = No se pudo leer el formulario
error-unsupported-body = No se admite este tipo de envío. Por favor, use el formulario de este sitio web.
error-internal-title = Algo salió mal de nuestro lado
error-internal-body = Su mensaje no se ha enviado. Por favor, inténtelo de nuevo en unos minutos.

## The general contact form

form-contact-title = Contáctenos
    .intro = Envíe un mensaje a nuestro equipo. Si desea una respuesta, díganos cómo podemos comunicarnos con usted de forma segura.
field-contact-name = Su nombre
    .help = Puede usar un apodo.
field-contact-email = Correo electrónico
    .help = Solo si es seguro que le escribamos a esa dirección.
field-contact-reply = Otras formas de comunicarnos con usted
    .help = Por ejemplo, un número de teléfono o las horas en que es seguro llamarle.
field-contact-message = Su mensaje

## Help with an asylum or other protection claim

form-asylum-help-title = Pida ayuda legal gratuita con su solicitud de asilo
    .intro = Si necesita ayuda con una solicitud de asilo u otra solicitud de protección y no puede pagar a un abogado, cuéntenos su situación. Una persona de nuestro equipo legal la leerá y se comunicará con usted.
field-asylum-help-name = Nombre o apodo
    .help = ¿Cómo quiere que le llamemos?
field-asylum-help-contact_method = ¿Cómo quiere que nos comuniquemos con usted?
option-asylum-help-contact_method-phone = Llamada telefónica
option-asylum-help-contact_method-sms = Mensaje de texto (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = Correo electrónico
option-asylum-help-contact_method-other = Otra forma (explíquela abajo)
field-asylum-help-contact = Sus datos de contacto
    .help = Número de teléfono, correo electrónico o nombre de usuario. Díganos si hay horas o formas en que no es seguro comunicarnos con usted.
field-asylum-help-language = Idioma que prefiere
    .help = El idioma que le gustaría que usemos. Intentaremos encontrar un intérprete.
field-asylum-help-location = ¿Dónde está ahora?
    .help = Ciudad y país. Si está en un centro de detención, en un campamento o en un albergue, por favor díganoslo.
fieldset-asylum-help-urgency = Fechas y plazos
    .help = Estas fechas nos dicen qué es lo más urgente. Deje vacío lo que no sepa.
field-asylum-help-arrived = ¿Cuándo llegó a este país?
    .help = Si no sabe el día exacto, elija el primer día del mes. En algunos países hay que pedir asilo dentro de un plazo después de llegar, por ejemplo, un año.
field-asylum-help-claim = ¿Ya pidió asilo o protección aquí?
option-asylum-help-claim-no = Todavía no
option-asylum-help-claim-waiting = Sí, y estoy esperando una decisión
option-asylum-help-claim-refused = Sí, y rechazaron mi solicitud
option-asylum-help-claim-unsure = No lo sé con seguridad
field-asylum-help-next_date = Fecha de su próxima audiencia, entrevista o cita
    .help = Deje esto vacío si no tiene ninguna o no la sabe.
field-asylum-help-next_type = ¿Qué tipo de cita es?
option-asylum-help-next_type-interview = Una entrevista de asilo
option-asylum-help-next_type-court = Una audiencia en el tribunal
option-asylum-help-next_type-reporting = Presentarse ante las autoridades de inmigración
option-asylum-help-next_type-other = Otra cosa
option-asylum-help-next_type-unsure = No lo sé con seguridad
field-asylum-help-decision_date = Si recibió una decisión, ¿qué fecha tiene escrita?
    .help = El plazo para apelar suele ser corto, a veces solo unos días desde esta fecha.
field-asylum-help-deadline = Otras fechas o plazos
    .help = Por ejemplo, una fecha en la que tiene que irse, o una carta que le da un plazo. Escriba la fecha si la sabe.
fieldset-asylum-help-situation = Su situación
field-asylum-help-detained = ¿Alguna persona de su caso está ahora en un centro de detención?
option-asylum-help-detained-me = Sí, yo
option-asylum-help-detained-family = Sí, alguien de mi familia
option-asylum-help-detained-no = No, nadie
field-asylum-help-family = ¿Quién más forma parte de su caso?
    .help = Deje esto vacío si es solo usted.
option-asylum-help-family-partner = Esposo, esposa o pareja
option-asylum-help-family-children = Hijos
option-asylum-help-family-parents = Padre o madre
option-asylum-help-family-other = Otros familiares
field-asylum-help-people = ¿Cuántas personas hay en su caso, junto con usted?
field-asylum-help-message = ¿Qué pasó y qué ayuda necesita?
    .help = Puede escribir en cualquier idioma. Cuéntenos todo lo que le parezca seguro compartir.
field-asylum-help-documents = Documentos
    .help = Por ejemplo, una carta con una decisión, un aviso del tribunal o documentos de identidad. Las fotos de los documentos también sirven.
field-asylum-help-consent = Acepto que el equipo legal se comunique conmigo usando los datos de arriba.
