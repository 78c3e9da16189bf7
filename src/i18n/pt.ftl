# sealpost — Portuguese catalog (Português). Exactly the message ids of en.ftl.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Neutral Portuguese for Brazil, Portugal, Angola and Mozambique: formal address without "você"/"tu",
# and words used in all of them ("anexo" rather than "arquivo"/"ficheiro", "organização" rather than "equipe"/"equipa").

## Every page

site-title = Contacto seguro
language-label = Idioma
skip-link = Ir para o formulário
privacy-title = O que acontece com a sua mensagem
privacy-body = A sua mensagem e os seus documentos são trancados (criptografados) assim que chegam. Só as pessoas que trabalham na nossa organização podem abri-los, nos próprios computadores. Este site não grava o seu endereço de internet, e nada fica guardado no seu navegador.
quick-exit = Sair rapidamente deste site
status-link = Ler a nossa resposta
privacy-notice-link = A nossa política de privacidade

## Front page

index-title = Como podemos ajudar?
index-intro = Escolha o que deseja fazer. Pode escrever em qualquer idioma.

## Forms

required = obrigatório
optional = opcional
send = Enviar com segurança
honeypot-label = Deixe este campo vazio
files-limit =
    { $count ->
        [one] Pode enviar no máximo { $count } anexo, com até { $size }.
       *[other] Pode enviar até { $count } anexos, cada um com até { $size }.
    }
size-mb = { $size } MB
size-kb = { $size } KB
files-not-kept = Para a sua segurança, os documentos anexados não são guardados quando o formulário é mostrado de novo. Por favor, anexe-os outra vez.
error-summary-title = Por favor, verifique o formulário
problem-too-fast = Por favor, verifique as suas respostas e depois clique de novo em “Enviar com segurança”.
problem-expired = Esta página ficou aberta durante muito tempo. Por favor, verifique as suas respostas e depois clique de novo em “Enviar com segurança”.
problem-invalid = Não foi possível enviar a sua mensagem. Por favor, verifique as suas respostas e depois clique de novo em “Enviar com segurança”.
problem-used = Já foi enviada uma mensagem a partir desta página, por isso a sua provavelmente já chegou. Para enviar outra, verifique as suas respostas e depois clique de novo em “Enviar com segurança”.
error-required = Por favor, preencha este campo.
error-checkbox-required = Por favor, marque esta caixa para continuar.
error-too-long =
    { $max ->
        [one] Por favor, encurte este texto para { $max } caractere ou menos.
       *[other] Por favor, encurte este texto para { $max } caracteres ou menos.
    }
error-email = Por favor, escreva um endereço de e-mail como nome@example.org, ou deixe este campo vazio.
error-tel = Por favor, escreva um número de telefone usando apenas números, espaços e + ( ) - .
error-select = Por favor, escolha uma das opções.
error-file-too-large = “{ $name }” é grande demais. Cada anexo pode ter até { $max }.
error-too-many-files =
    { $max ->
        [one] Pode enviar no máximo { $max } anexo. Por favor, escolha menos.
       *[other] Pode enviar até { $max } anexos. Por favor, escolha menos.
    }
error-file-name = Um dos anexos tem um nome que não pode ser usado. Por favor, dê-lhe outro nome e anexe-o de novo.
value-yes = Sim
date-placeholder = aaaa-mm-dd
error-date = Por favor, escreva uma data que exista, no formato ano-mês-dia, por exemplo 2026-03-31.
error-number = Por favor, escreva um número inteiro usando apenas algarismos, por exemplo 3.
error-number-range = Por favor, escreva um número de { $min } a { $max }.
error-pattern = Esta resposta não está na forma que esperamos. Por favor, leia o texto de ajuda e tente de novo.
error-choices-required = Por favor, escolha pelo menos uma opção.

## After sending

sent-title = A sua mensagem foi enviada
sent-body = Obrigado. A sua mensagem está guardada em segurança e trancada, para que só as pessoas que trabalham na nossa organização a possam ler.
sent-next = Uma pessoa da nossa organização vai entrar em contacto usando os dados que nos deu. Isto pode levar alguns dias. Já pode fechar esta página.
sent-again = Enviar outra mensagem
receipt-title = O seu código
receipt-intro = Anote estes números e guarde-os num lugar escondido. Com eles, pode voltar a este site para ler a nossa resposta e para nos escrever de novo.
receipt-warning = Qualquer pessoa que tenha estes números pode ler a nossa resposta. Não os mostre a ninguém, e não os guarde onde outras pessoas os possam ver.
receipt-shown-once = O seu código foi mostrado uma única vez, na página que apareceu logo depois do envio. Para a sua segurança, não é mostrado de novo.
receipt-missing = Desta vez não foi possível criar um código. Vamos usar os dados de contacto que nos deu, se nos deu algum.
receipt-next = Para ler a nossa resposta mais tarde, escolha “Ler a nossa resposta” no topo de qualquer página deste site e escreva o seu código.

## Reading an answer

status-title = Ler a nossa resposta
status-intro = Escreva o código que anotou depois de enviar a sua mensagem. Os espaços e os traços não importam.
status-receipt-label = O seu código
status-receipt-help = 25 algarismos, em cinco grupos de cinco.
status-check = Mostrar a resposta
status-error-length =
    Um código tem 25 algarismos. Escreveu { $count ->
        [one] { $count } algarismo
       *[other] { $count } algarismos
    }.
status-error-characters = Um código tem apenas algarismos. Por favor, verifique o que escreveu.
status-error-group = O grupo { $group } do seu código parece estar errado. Por favor, verifique-o.
status-not-found-title = Não foi encontrada nenhuma conversa com este código
status-not-found-body =
    Por favor, verifique o código e tente de novo. Uma conversa é apagada quando a apaga, ou { $days ->
        [one] { $days } dia
       *[other] { $days } dias
    } depois da última mensagem.
status-busy-title = Por favor, tente de novo daqui a pouco
status-busy-body = Muitas pessoas querem ler respostas neste momento. Por favor, espere um minuto e depois tente de novo.
conversation-title = A sua conversa
conversation-read = A nossa organização recebeu a sua mensagem.
conversation-unread = A nossa organização ainda não abriu a sua mensagem.
conversation-replies = As nossas respostas
conversation-no-replies = Ainda não há resposta. Por favor, volte mais tarde.
conversation-reply-date = Resposta de { $date }
conversation-download = Fazer o download de “{ $name }”
conversation-expires = Esta conversa será apagada em { $date } se ninguém escrever antes disso.
conversation-write = Escreva-nos de novo
conversation-message = A sua mensagem
conversation-documents = Documentos
conversation-delete = Apagar esta conversa
conversation-delete-intro = Se a apagar, ninguém poderá voltar a ler as nossas respostas com este código. O que já enviou continua com a nossa organização.
conversation-delete-confirm = Compreendo. Quero apagar esta conversa agora.
conversation-delete-button = Apagar agora
conversation-deleted-title = A conversa foi apagada
conversation-deleted-body = As nossas respostas já não podem ser lidas com este código.
followup-sent-title = A sua mensagem foi enviada
followup-sent-body = Obrigado. Use o seu código para ler a nossa resposta mais tarde.

## Error pages

back-home = Voltar à página inicial
error-not-found-title = Página não encontrada
error-not-found-body = Não existe nenhuma página neste endereço. Por favor, verifique o endereço ou volte à página inicial.
error-method-title = Esta ação não é possível
error-method-body = Esta página não pode ser usada desta forma. Por favor, volte à página inicial.
error-too-large-title = A sua mensagem é grande demais
error-too-large-body = A sua mensagem e os seus documentos, juntos, podem ter até { $max }. Por favor, volte atrás, anexe menos documentos ou documentos menores, e envie de novo.
error-rate-title = Por favor, espere antes de enviar de novo
error-rate-body =
    Foram enviadas muitas mensagens a partir da sua conexão, ou para este serviço, em pouco tempo. Por favor, espere { $minutes ->
        [one] { $minutes } minuto
       *[other] { $minutes } minutos
    }, depois volte atrás e envie de novo. A sua mensagem ainda não foi enviada.
error-full-title = Não podemos receber mensagens neste momento
error-full-body = Temporariamente, o serviço não consegue guardar mensagens novas. A sua mensagem não foi enviada. Por favor, tente de novo mais tarde.
error-timeout-title = O envio demorou tempo demais
error-timeout-body = Não foi possível receber a sua mensagem a tempo, talvez porque a conexão está lenta. A mensagem não foi enviada. Por favor, volte atrás e tente de novo, talvez com menos documentos.
error-bad-request-title = Não foi possível ler o formulário
error-bad-request-body = Houve um problema ao enviar o formulário. A sua mensagem não foi enviada. Por favor, volte ao formulário e tente de novo.
error-unsupported-title = Não foi possível ler o formulário
error-unsupported-body = Não aceitamos este tipo de envio. Por favor, use o formulário deste site.
error-internal-title = Houve um problema do nosso lado
error-internal-body = A sua mensagem não foi enviada. Por favor, tente de novo daqui a alguns minutos.

## The general contact form

form-contact-title = Escreva-nos
    .intro = Envie uma mensagem à nossa organização. Se quiser uma resposta, diga-nos uma forma segura de lhe responder.
field-contact-name = O seu nome
    .help = Pode usar outro nome, não é obrigatório usar o verdadeiro.
field-contact-email = Endereço de e-mail
    .help = Só se for seguro escrevermos para esse endereço.
field-contact-reply = Outras formas de contacto
    .help = Por exemplo, um número de telefone, ou os horários em que é seguro telefonar.
field-contact-message = A sua mensagem

## Help with an asylum or other protection claim

form-asylum-help-title = Peça ajuda jurídica gratuita para o seu pedido de asilo ou refúgio
    .intro = Se precisa de ajuda com um pedido de asilo ou refúgio, ou com outro pedido de proteção, e não pode pagar um advogado, conte-nos a sua situação. Uma pessoa do nosso serviço jurídico vai ler o que escreveu e entrar em contacto.
field-asylum-help-name = Nome (ou outro nome que prefira)
    .help = Que nome devemos usar?
field-asylum-help-contact_method = Qual é a melhor forma de contacto?
option-asylum-help-contact_method-phone = Chamada de telefone
option-asylum-help-contact_method-sms = Mensagem de texto (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = E-mail
option-asylum-help-contact_method-other = Outra forma (explique abaixo)
field-asylum-help-contact = Os seus dados de contacto
    .help = Número de telefone, endereço de e-mail ou nome de usuário. Diga-nos se há horários ou formas de contacto que não sejam seguros.
field-asylum-help-language = O idioma que prefere
    .help = O idioma que gostaria que usássemos. Vamos tentar encontrar um intérprete.
field-asylum-help-location = Onde está agora?
    .help = Cidade e país. Se estiver em detenção, num campo ou num abrigo, por favor diga-nos.
fieldset-asylum-help-urgency = Datas e prazos
    .help = Com estas datas sabemos o que é mais urgente. Deixe em branco o que não souber.
field-asylum-help-arrived = Quando chegou a este país?
    .help = Se não souber o dia exato, escolha o primeiro dia do mês. Em alguns países, o pedido de asilo ou refúgio tem de ser feito dentro de um prazo depois da chegada, por exemplo um ano.
field-asylum-help-claim = Já fez aqui um pedido de asilo, refúgio ou proteção?
option-asylum-help-claim-no = Ainda não
option-asylum-help-claim-waiting = Sim, e ainda espero uma decisão
option-asylum-help-claim-refused = Sim, e o meu pedido foi recusado
option-asylum-help-claim-unsure = Não sei bem
field-asylum-help-next_date = Data da sua próxima audiência, entrevista ou convocação
    .help = Deixe em branco se não tiver nenhuma ou se não souber.
field-asylum-help-next_type = De que tipo de convocação se trata?
option-asylum-help-next_type-interview = Uma entrevista do pedido de asilo ou refúgio
option-asylum-help-next_type-court = Uma audiência em tribunal
option-asylum-help-next_type-reporting = Apresentação às autoridades de imigração
option-asylum-help-next_type-other = Outra coisa
option-asylum-help-next_type-unsure = Não sei bem
field-asylum-help-decision_date = Se recebeu uma decisão, que data está escrita nela?
    .help = O prazo para recorrer costuma ser curto, às vezes só alguns dias a partir desta data.
field-asylum-help-deadline = Outras datas ou prazos
    .help = Por exemplo, uma data em que deve sair, ou uma carta que lhe dá um prazo. Escreva a data, se souber.
fieldset-asylum-help-situation = A sua situação
field-asylum-help-detained = Há alguém do seu processo em detenção neste momento?
option-asylum-help-detained-me = Sim, eu
option-asylum-help-detained-family = Sim, alguém da minha família
option-asylum-help-detained-no = Não
field-asylum-help-family = Quem mais faz parte do seu processo?
    .help = Deixe em branco se o processo for só seu.
option-asylum-help-family-partner = Marido, esposa, companheiro ou companheira
option-asylum-help-family-children = Filhos
option-asylum-help-family-parents = Pai ou mãe
option-asylum-help-family-other = Outros familiares
field-asylum-help-people = Quantas pessoas fazem parte do seu processo, incluindo quem escreve?
field-asylum-help-message = O que aconteceu, e de que ajuda precisa?
    .help = Pode escrever em qualquer idioma. Conte-nos tudo o que lhe parecer seguro contar.
field-asylum-help-documents = Documentos
    .help = Por exemplo, uma carta com uma decisão, uma notificação do tribunal ou documentos de identidade. Pode enviar fotos dos documentos.
field-asylum-help-consent = Aceito que o serviço jurídico entre em contacto comigo usando os dados acima.
