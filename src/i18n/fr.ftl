# sealpost — French catalog (Français). Exactly the message ids of en.ftl; formal "vous".
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Typography: a no-break space (U+00A0) before ? ! : ; and inside « ».

## Every page

site-title = Contact sécurisé
language-label = Langue
skip-link = Aller au formulaire
privacy-title = Ce que devient votre message
privacy-body = Votre message et vos documents sont verrouillés (chiffrés) dès leur arrivée. Seul notre personnel peut les déverrouiller, sur ses propres ordinateurs. Ce site n’enregistre pas votre adresse internet, et rien n’est conservé dans votre navigateur.
quick-exit = Quitter rapidement ce site
status-link = Lire notre réponse
privacy-notice-link = Notre politique de confidentialité

## Front page

index-title = Comment pouvons-nous vous aider ?
index-intro = Choisissez ce que vous souhaitez faire. Vous pouvez écrire dans n’importe quelle langue.

## Forms

required = obligatoire
optional = facultatif
send = Envoyer en toute sécurité
honeypot-label = Laissez ce champ vide
files-limit =
    { $count ->
        [one] Vous pouvez joindre { $count } fichier au maximum, d’une taille de { $size } au plus.
       *[other] Vous pouvez joindre jusqu’à { $count } fichiers, de { $size } au maximum chacun.
    }
size-mb = { $size } Mo
size-kb = { $size } Ko
files-not-kept = Pour votre sécurité, les documents joints ne sont pas conservés quand le formulaire s’affiche à nouveau. Veuillez les joindre à nouveau.
error-summary-title = Veuillez vérifier le formulaire
problem-too-fast = Veuillez vérifier vos réponses, puis appuyer à nouveau sur « Envoyer en toute sécurité ».
problem-expired = Cette page est restée ouverte longtemps. Veuillez vérifier vos réponses, puis appuyer à nouveau sur « Envoyer en toute sécurité ».
problem-invalid = Votre message n’a pas pu être envoyé. Veuillez vérifier vos réponses, puis appuyer à nouveau sur « Envoyer en toute sécurité ».
problem-used = Un message a déjà été envoyé depuis cette page, le vôtre est donc sans doute bien arrivé. Pour en envoyer un autre, veuillez vérifier vos réponses, puis appuyer à nouveau sur « Envoyer en toute sécurité ».
error-required = Veuillez remplir ce champ.
error-checkbox-required = Veuillez cocher cette case pour continuer.
error-too-long =
    { $max ->
        [one] Veuillez raccourcir ce texte à { $max } caractère au maximum.
       *[other] Veuillez raccourcir ce texte à { $max } caractères au maximum.
    }
error-email = Veuillez écrire une adresse e-mail comme nom@example.org, ou laisser ce champ vide.
error-tel = Veuillez écrire un numéro de téléphone avec seulement des chiffres, des espaces et + ( ) - .
error-select = Veuillez choisir une des options.
error-file-too-large = « { $name } » est trop volumineux. Chaque fichier peut faire jusqu’à { $max }.
error-too-many-files =
    { $max ->
        [one] Vous pouvez joindre { $max } fichier au maximum. Veuillez en choisir moins.
       *[other] Vous pouvez joindre jusqu’à { $max } fichiers. Veuillez en choisir moins.
    }
error-file-name = Le nom d’un des fichiers ne peut pas être utilisé. Veuillez renommer ce fichier et le joindre à nouveau.
value-yes = Oui
date-placeholder = aaaa-mm-jj
error-date = Veuillez écrire une date qui existe, sous la forme année-mois-jour, par exemple 2026-03-31.
error-number = Veuillez écrire un nombre entier, avec des chiffres seulement, par exemple 3.
error-number-range = Veuillez écrire un nombre entre { $min } et { $max }.
error-pattern = Cette réponse n’a pas la forme attendue. Veuillez lire le texte d’aide, puis réessayer.
error-choices-required = Veuillez choisir au moins une option.

## After sending

sent-title = Votre message a été envoyé
sent-body = Merci. Votre message est conservé en sécurité et verrouillé, pour que seul notre personnel puisse le lire.
sent-next = Une personne de notre équipe vous contactera avec les coordonnées que vous avez données. Cela peut prendre quelques jours. Vous pouvez maintenant fermer cette page.
sent-again = Envoyer un autre message
receipt-title = Votre code
receipt-intro = Notez ces chiffres et gardez-les cachés. Avec eux, vous pourrez revenir sur ce site pour lire notre réponse et pour nous écrire à nouveau.
receipt-warning = Toute personne qui a ces chiffres peut lire notre réponse. Ne les montrez à personne, et ne les gardez pas là où d’autres peuvent les voir.
receipt-shown-once = Votre code a été affiché une seule fois, sur la page qui est apparue juste après l’envoi. Pour votre sécurité, il n’est plus affiché.
receipt-missing = Cette fois, nous n’avons pas pu créer de code. Nous utiliserons les coordonnées que vous avez données, si vous en avez donné.
receipt-next = Pour lire notre réponse plus tard, choisissez « Lire notre réponse » en haut de n’importe quelle page de ce site, puis tapez votre code.

## Reading an answer

status-title = Lire notre réponse
status-intro = Tapez le code que vous avez noté après l’envoi de votre message. Les espaces et les tirets n’ont pas d’importance.
status-receipt-label = Votre code
status-receipt-help = 25 chiffres, en cinq groupes de cinq.
status-check = Afficher la réponse
status-error-length =
    Un code a 25 chiffres. Vous avez tapé { $count ->
        [one] { $count } chiffre
       *[other] { $count } chiffres
    }.
status-error-characters = Un code ne contient que des chiffres. Veuillez vérifier ce que vous avez tapé.
status-error-group = Le groupe { $group } de votre code semble incorrect. Veuillez le vérifier.
status-not-found-title = Nous n’avons trouvé aucune conversation pour ce code
status-not-found-body =
    Veuillez vérifier le code et réessayer. Une conversation est supprimée quand vous la supprimez, ou { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    } après le dernier message.
status-busy-title = Veuillez réessayer dans un moment
status-busy-body = Beaucoup de personnes lisent des réponses en ce moment. Veuillez attendre une minute, puis réessayer.
conversation-title = Votre conversation
conversation-read = Notre équipe a bien reçu votre message.
conversation-unread = Notre équipe n’a pas encore ouvert votre message.
conversation-replies = Nos réponses
conversation-no-replies = Il n’y a pas encore de réponse. Veuillez revenir plus tard.
conversation-reply-date = Réponse du { $date }
conversation-download = Télécharger « { $name } »
conversation-expires = Cette conversation sera supprimée le { $date } si personne n’écrit d’ici là.
conversation-write = Nous écrire à nouveau
conversation-message = Votre message
conversation-documents = Documents joints
conversation-delete = Supprimer cette conversation
conversation-delete-intro = Si vous la supprimez, personne ne pourra plus lire nos réponses avec ce code. Ce que vous avez déjà envoyé reste chez notre équipe.
conversation-delete-confirm = Je comprends. Je veux supprimer cette conversation maintenant.
conversation-delete-button = Supprimer maintenant
conversation-deleted-title = La conversation a été supprimée
conversation-deleted-body = Nos réponses ne peuvent plus être lues avec ce code.
followup-sent-title = Votre message a été envoyé
followup-sent-body = Merci. Utilisez votre code pour lire notre réponse plus tard.

## Error pages

back-home = Retourner à la page d’accueil
error-not-found-title = Page introuvable
error-not-found-body = Il n’y a pas de page à cette adresse. Veuillez vérifier l’adresse ou retourner à la page d’accueil.
error-method-title = Cette action n’est pas possible
error-method-body = Cette page ne peut pas être utilisée de cette façon. Veuillez retourner à la page d’accueil.
error-too-large-title = Votre message est trop volumineux
error-too-large-body = Votre message et vos documents peuvent faire jusqu’à { $max } au total. Veuillez revenir en arrière, joindre moins de documents ou des documents plus petits, puis envoyer à nouveau.
error-rate-title = Veuillez attendre avant d’envoyer à nouveau
error-rate-body =
    Beaucoup de messages ont été envoyés depuis votre connexion ou vers ce service en peu de temps. Veuillez attendre { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }, puis revenir en arrière et envoyer à nouveau. Votre message n’a pas encore été envoyé.
error-full-title = Nous ne pouvons pas recevoir de messages pour le moment
error-full-body = Le service ne peut temporairement pas enregistrer de nouveaux messages. Votre message n’a pas été envoyé. Veuillez réessayer plus tard.
error-timeout-title = L’envoi a pris trop de temps
error-timeout-body = Votre message n’a pas pu être reçu à temps, peut-être parce que la connexion est lente. Il n’a pas été envoyé. Veuillez revenir en arrière et réessayer, peut-être avec moins de documents.
error-bad-request-title = Le formulaire n’a pas pu être lu
error-bad-request-body = Un problème est survenu pendant l’envoi du formulaire. Votre message n’a pas été envoyé. Veuillez retourner au formulaire et réessayer.
error-unsupported-title = Le formulaire n’a pas pu être lu
error-unsupported-body = Ce type d’envoi n’est pas accepté. Veuillez utiliser le formulaire de ce site.
error-internal-title = Un problème est survenu de notre côté
error-internal-body = Votre message n’a pas été envoyé. Veuillez réessayer dans quelques minutes.

## The general contact form

form-contact-title = Nous contacter
    .intro = Envoyez un message à notre équipe. Si vous souhaitez une réponse, dites-nous comment vous joindre sans danger.
field-contact-name = Votre nom
    .help = Vous pouvez utiliser un surnom.
field-contact-email = Adresse e-mail
    .help = Seulement si nous pouvons vous écrire à cette adresse sans danger pour vous.
field-contact-reply = Autres moyens de vous joindre
    .help = Par exemple un numéro de téléphone, ou les heures où l’on peut vous appeler sans danger.
field-contact-message = Votre message

## Help with an asylum or other protection claim

form-asylum-help-title = Demandez une aide juridique gratuite pour votre demande d’asile
    .intro = Si vous avez besoin d’aide pour une demande d’asile ou une autre demande de protection, et que vous ne pouvez pas payer un avocat, expliquez-nous votre situation. Une personne de notre équipe juridique la lira et vous contactera.
field-asylum-help-name = Nom ou surnom
    .help = Comment devons-nous vous appeler ?
field-asylum-help-contact_method = Comment devons-nous vous contacter ?
option-asylum-help-contact_method-phone = Appel téléphonique
option-asylum-help-contact_method-sms = Message texte (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = E-mail
option-asylum-help-contact_method-other = Autre moyen (précisez ci-dessous)
field-asylum-help-contact = Vos coordonnées
    .help = Numéro de téléphone, adresse e-mail ou nom d’utilisateur. Dites-nous s’il n’est pas sûr de vous contacter à certains moments ou par certains moyens.
field-asylum-help-language = Votre langue préférée
    .help = La langue que vous voulez que nous utilisions. Nous essaierons de trouver un interprète.
field-asylum-help-location = Où êtes-vous maintenant ?
    .help = Ville et pays. Si vous êtes en détention, dans un camp ou dans un centre d’hébergement, dites-le-nous.
fieldset-asylum-help-urgency = Dates et délais
    .help = Ces dates nous disent ce qui est le plus urgent. Laissez vide ce que vous ne savez pas.
field-asylum-help-arrived = Quelle est la date de votre arrivée dans ce pays ?
    .help = Si vous ne connaissez pas le jour exact, choisissez le premier jour du mois. Dans certains pays, il faut faire la demande d’asile dans un certain délai après l’arrivée, par exemple un an.
field-asylum-help-claim = Avez-vous déjà fait une demande d’asile ou de protection ici ?
option-asylum-help-claim-no = Pas encore
option-asylum-help-claim-waiting = Oui, et j’attends une décision
option-asylum-help-claim-refused = Oui, et ma demande a été refusée
option-asylum-help-claim-unsure = Je ne sais pas vraiment
field-asylum-help-next_date = Date de votre prochaine audience, prochain entretien ou prochain rendez-vous
    .help = Laissez vide si vous n’en avez pas ou si vous ne savez pas.
field-asylum-help-next_type = De quel rendez-vous s’agit-il ?
option-asylum-help-next_type-interview = Un entretien pour la demande d’asile
option-asylum-help-next_type-court = Une audience au tribunal
option-asylum-help-next_type-reporting = Se présenter aux autorités de l’immigration (pointage)
option-asylum-help-next_type-other = Autre chose
option-asylum-help-next_type-unsure = Je ne sais pas vraiment
field-asylum-help-decision_date = Si vous avez reçu une décision, quelle date est écrite dessus ?
    .help = Le délai pour faire appel est souvent court, parfois seulement quelques jours après cette date.
field-asylum-help-deadline = Autres dates ou délais
    .help = Par exemple une date à laquelle vous devez partir, ou une lettre qui vous donne un délai. Écrivez la date si vous la connaissez.
fieldset-asylum-help-situation = Votre situation
field-asylum-help-detained = Est-ce que quelqu’un de votre dossier est en détention en ce moment ?
option-asylum-help-detained-me = Oui, moi
option-asylum-help-detained-family = Oui, quelqu’un de ma famille
option-asylum-help-detained-no = Non
field-asylum-help-family = Qui d’autre fait partie de votre dossier ?
    .help = Laissez vide s’il n’y a que vous.
option-asylum-help-family-partner = Mari, femme ou partenaire
option-asylum-help-family-children = Enfants
option-asylum-help-family-parents = Père ou mère
option-asylum-help-family-other = Autres membres de la famille
field-asylum-help-people = Combien de personnes y a-t-il dans votre dossier, en vous comptant ?
field-asylum-help-message = Que s’est-il passé, et de quelle aide avez-vous besoin ?
    .help = Vous pouvez écrire dans n’importe quelle langue. Racontez-nous tout ce que vous pouvez partager sans crainte.
field-asylum-help-documents = Documents
    .help = Par exemple une lettre de décision, une convocation du tribunal ou des papiers d’identité. Les photos de documents sont acceptées.
field-asylum-help-consent = J’accepte que l’équipe juridique me contacte avec les coordonnées ci-dessus.
