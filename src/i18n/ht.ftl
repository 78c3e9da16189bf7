# sealpost — Haitian Creole catalog (Kreyòl ayisyen), standard IPN orthography. Exactly the message ids of en.ftl.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Nouns do not change after a number in Kreyòl, so no plural selectors are needed.

## Every page

site-title = Kontak an sekirite
language-label = Lang
skip-link = Ale dirèkteman nan fòmilè a
privacy-title = Sa k ap pase ak mesaj ou
privacy-body = Mesaj ou ak dokiman ou yo fèmen ak kle (ankripte) depi yo rive. Se sèlman moun ki travay nan ekip nou an ki ka louvri yo, sou pwòp òdinatè pa yo. Sit entènèt sa a pa anrejistre adrès entènèt ou, epi anyen pa sere nan navigatè ou.
quick-exit = Kite sit sa a vit
status-link = Li repons nou an
privacy-notice-link = Avi nou sou vi prive

## Front page

index-title = Kijan nou ka ede ou?
index-intro = Chwazi sa ou vle fè. Ou ka ekri nan nenpòt ki lang.

## Forms

required = obligatwa
optional = si ou vle
send = Voye an sekirite
honeypot-label = Kite kaz sa a vid
files-limit = Ou ka tache jiska { $count } fichye, epi chak fichye ka gen jiska { $size }.
size-mb = { $size } MB
size-kb = { $size } KB
files-not-kept = Pou sekirite ou, dokiman ou te tache yo pa kenbe lè fòmilè a parèt ankò. Tanpri tache yo ankò.
error-summary-title = Tanpri verifye fòmilè a
problem-too-fast = Tanpri verifye repons ou yo, epi peze “Voye an sekirite” ankò.
problem-expired = Paj sa a te rete louvri pandan lontan. Tanpri verifye repons ou yo, epi peze “Voye an sekirite” ankò.
problem-invalid = Nou pa t ka voye mesaj ou a. Tanpri verifye repons ou yo, epi peze “Voye an sekirite” ankò.
problem-used = Yon mesaj te deja voye sou paj sa a, kidonk mesaj ou a gendwa rive deja. Pou voye yon lòt, tanpri verifye repons ou yo, epi peze “Voye an sekirite” ankò.
error-required = Tanpri ranpli kaz sa a.
error-checkbox-required = Tanpri make kaz sa a pou ou ka kontinye.
error-too-long = Tanpri fè tèks sa a pi kout: { $max } karaktè oswa mwens.
error-email = Tanpri ekri yon adrès imèl tankou non@example.org, oswa kite kaz sa a vid.
error-tel = Tanpri ekri yon nimewo telefòn ak chif, espas ak + ( ) - sèlman.
error-select = Tanpri chwazi youn nan chwa yo.
error-file-too-large = “{ $name }” twò gwo. Chak fichye ka gen jiska { $max }.
error-too-many-files = Ou ka tache jiska { $max } fichye. Tanpri chwazi mwens.
error-file-name = Youn nan fichye yo gen yon non nou pa ka itilize. Tanpri chanje non l, epi tache l ankò.
value-yes = Wi
date-placeholder = aaaa-mm-jj
error-date = Tanpri ekri yon dat ki egziste, nan lòd ane-mwa-jou, pa egzanp 2026-03-31.
error-number = Tanpri ekri yon nonm antye, ak chif sèlman, pa egzanp 3.
error-number-range = Tanpri ekri yon nonm ant { $min } ak { $max }.
error-pattern = Repons sa a pa ekri jan nou te atann li. Tanpri li esplikasyon kesyon an, epi eseye ankò.
error-choices-required = Tanpri chwazi omwen youn.

## After sending

sent-title = Mesaj ou a voye
sent-body = Mèsi. Mesaj ou a sere an sekirite, epi li fèmen ak kle pou se sèlman moun ki travay nan ekip nou an ki ka li l.
sent-next = Yon moun nan ekip nou an ap kontakte ou ak enfòmasyon ou te ban nou yo. Sa ka pran kèk jou. Kounye a, ou ka fèmen paj sa a.
sent-again = Voye yon lòt mesaj
receipt-title = Kòd ou
receipt-intro = Ekri chif sa yo yon kote, epi kache yo. Avèk yo, ou ka tounen sou sit entènèt sa a pou li repons nou an, epi pou ekri nou ankò.
receipt-warning = Nenpòt moun ki gen chif sa yo ka li repons nou an. Pa bay pèsonn yo, epi pa kite yo kote lòt moun ka wè yo.
receipt-shown-once = Kòd ou a te parèt yon sèl fwa, sou paj ki te vini touswit apre ou te voye mesaj la. Pou sekirite ou, li p ap parèt ankò.
receipt-missing = Fwa sa a, nou pa t ka fè yon kòd pou ou. N ap itilize enfòmasyon ou te ban nou pou nou kontakte ou, si ou te ban nou yo.
receipt-next = Pou li repons nou an pita, chwazi “Li repons nou an” anlè nenpòt paj sou sit entènèt sa a, epi ekri kòd ou a.

## Reading an answer

status-title = Li repons nou an
status-intro = Ekri kòd ou te note apre ou te voye mesaj ou a. Espas ak tirè pa gen enpòtans.
status-receipt-label = Kòd ou
status-receipt-help = 25 chif, an senk gwoup ki gen senk chif chak.
status-check = Montre repons lan
status-error-length = Yon kòd gen 25 chif. Ou ekri { $count } chif.
status-error-characters = Yon kòd gen chif sèlman. Tanpri verifye sa ou ekri a.
status-error-group = Gwoup { $group } nan kòd ou a sanble pa bon. Tanpri verifye l.
status-not-found-title = Nou pa jwenn okenn konvèsasyon pou kòd sa a
status-not-found-body = Tanpri verifye kòd la, epi eseye ankò. Yon konvèsasyon efase lè ou efase l, oswa { $days } jou apre dènye mesaj la.
status-busy-title = Tanpri eseye ankò nan yon ti moman
status-busy-body = Gen anpil moun k ap li repons kounye a. Tanpri tann yon minit, epi eseye ankò.
conversation-title = Konvèsasyon ou
conversation-read = Ekip nou an resevwa mesaj ou a.
conversation-unread = Ekip nou an poko louvri mesaj ou a.
conversation-replies = Repons nou yo
conversation-no-replies = Poko gen repons. Tanpri tounen pita.
conversation-reply-date = Repons dat { $date }
conversation-download = Telechaje “{ $name }”
conversation-expires = Konvèsasyon sa a ap efase { $date } si pèsonn pa ekri anvan dat sa a.
conversation-write = Ekri nou ankò
conversation-message = Mesaj ou
conversation-documents = Dokiman
conversation-delete = Efase konvèsasyon sa a
conversation-delete-intro = Si ou efase l, pèsonn p ap ka li repons nou yo ak kòd sa a ankò. Sa ou te deja voye a ap rete kay ekip nou an.
conversation-delete-confirm = Mwen konprann. Mwen vle efase konvèsasyon sa a kounye a.
conversation-delete-button = Efase kounye a
conversation-deleted-title = Konvèsasyon an efase
conversation-deleted-body = Pèsonn pa ka li repons nou yo ak kòd sa a ankò.
followup-sent-title = Mesaj ou a voye
followup-sent-body = Mèsi. Sèvi ak kòd ou a pou li repons nou an pita.

## Error pages

back-home = Retounen nan paj akèy la
error-not-found-title = Nou pa jwenn paj la
error-not-found-body = Pa gen okenn paj nan adrès sa a. Tanpri verifye adrès la, oswa retounen nan paj akèy la.
error-method-title = Ou pa ka fè sa
error-method-body = Ou pa ka sèvi ak paj sa a konsa. Tanpri retounen nan paj akèy la.
error-too-large-title = Mesaj ou a twò gwo
error-too-large-body = Mesaj ou ak dokiman ou yo ansanm ka gen jiska { $max }. Tanpri tounen dèyè, tache mwens dokiman oswa dokiman ki pi piti, epi voye ankò.
error-rate-title = Tanpri tann anvan ou voye ankò
error-rate-body = Yo voye anpil mesaj soti nan koneksyon ou, oswa bay sèvis sa a, nan yon ti tan kout. Tanpri tann { $minutes } minit, epi tounen dèyè pou voye ankò. Mesaj ou a poko voye.
error-full-title = Nou pa ka resevwa mesaj kounye a
error-full-body = Pou kounye a, sèvis la pa ka sere nouvo mesaj. Mesaj ou a pa voye. Tanpri eseye ankò pita.
error-timeout-title = Voye a pran twòp tan
error-timeout-body = Nou pa t ka resevwa mesaj ou a atan, petèt paske koneksyon an lan. Mesaj la pa voye. Tanpri tounen dèyè epi eseye ankò, petèt ak mwens dokiman.
error-bad-request-title = Nou pa t ka li fòmilè a
error-bad-request-body = Yon bagay mal pase pandan fòmilè a t ap voye. Mesaj ou a pa voye. Tanpri retounen nan fòmilè a epi eseye ankò.
error-unsupported-title = Nou pa t ka li fòmilè a
error-unsupported-body = Nou pa aksepte mesaj ki voye fason sa a. Tanpri sèvi ak fòmilè ki sou sit entènèt sa a.
error-internal-title = Gen yon bagay ki pa mache bò kote nou
error-internal-body = Mesaj ou a pa voye. Tanpri eseye ankò nan kèk minit.

## The general contact form

form-contact-title = Kontakte nou
    .intro = Voye yon mesaj bay ekip nou an. Si ou vle yon repons, di nou kijan nou ka kontakte ou san danje.
field-contact-name = Non ou
    .help = Ou ka sèvi ak yon non jwèt.
field-contact-email = Adrès imèl
    .help = Sèlman si li pa danjere pou nou ekri ou nan adrès sa a.
field-contact-reply = Lòt fason pou nou kontakte ou
    .help = Pa egzanp yon nimewo telefòn, oswa lè li pa danjere pou nou rele ou.
field-contact-message = Mesaj ou

## Help with an asylum or other protection claim

form-asylum-help-title = Mande èd legal gratis pou demann azil ou
    .intro = Si ou bezwen èd pou yon demann azil oswa yon lòt demann pwoteksyon, epi ou pa ka peye yon avoka, rakonte nou sitiyasyon ou. Yon moun nan ekip legal nou an ap li l, epi l ap kontakte ou.
field-asylum-help-name = Non oswa non jwèt
    .help = Ki non ou vle nou rele ou?
field-asylum-help-contact_method = Kijan ou vle nou kontakte ou?
option-asylum-help-contact_method-phone = Apèl telefòn
option-asylum-help-contact_method-sms = Mesaj tèks (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = Imèl
option-asylum-help-contact_method-other = Yon lòt fason (di nou anba a)
field-asylum-help-contact = Enfòmasyon pou nou kontakte ou
    .help = Nimewo telefòn, adrès imèl oswa non itilizatè. Di nou si gen lè oswa fason li danjere pou nou kontakte ou.
field-asylum-help-language = Lang ou pito
    .help = Lang ou ta renmen nou itilize. N ap eseye jwenn yon entèprèt.
field-asylum-help-location = Ki kote ou ye kounye a?
    .help = Vil ak peyi. Si ou nan detansyon, nan yon kan oswa nan yon abri, tanpri di nou sa.
fieldset-asylum-help-urgency = Dat ak dat limit
    .help = Dat sa yo ede nou konnen sa ki pi ijan. Kite vid sa ou pa konnen.
field-asylum-help-arrived = Ki lè ou te rive nan peyi sa a?
    .help = Si ou pa konnen jou egzat la, chwazi premye jou nan mwa a. Nan kèk peyi, fòk ou fè demann azil la nan yon tan limit apre ou rive, pa egzanp yon ane.
field-asylum-help-claim = Èske ou deja fè yon demann azil oswa pwoteksyon isit la?
option-asylum-help-claim-no = Poko
option-asylum-help-claim-waiting = Wi, e m ap tann yon desizyon
option-asylum-help-claim-refused = Wi, e yo refize demann mwen an
option-asylum-help-claim-unsure = Mwen pa fin sèten
field-asylum-help-next_date = Dat pwochen odyans, entèvyou oswa randevou ou
    .help = Kite sa vid si ou pa genyen oswa si ou pa konnen.
field-asylum-help-next_type = Ki kalite randevou sa a ye?
option-asylum-help-next_type-interview = Yon entèvyou pou azil
option-asylum-help-next_type-court = Yon odyans nan tribinal
option-asylum-help-next_type-reporting = Al prezante devan otorite imigrasyon yo
option-asylum-help-next_type-other = Yon lòt bagay
option-asylum-help-next_type-unsure = Mwen pa fin sèten
field-asylum-help-decision_date = Si ou te resevwa yon desizyon, ki dat ki ekri sou li?
    .help = Tan pou fè apèl la souvan kout, pafwa se kèk jou sèlman apre dat sa a.
field-asylum-help-deadline = Lòt dat oswa dat limit
    .help = Pa egzanp yon dat ou oblije pati, oswa yon lèt ki ba ou yon dat limit. Ekri dat la si ou konnen l.
fieldset-asylum-help-situation = Sitiyasyon ou
field-asylum-help-detained = Èske gen yon moun nan dosye ou a ki nan detansyon kounye a?
option-asylum-help-detained-me = Wi, se mwen
option-asylum-help-detained-family = Wi, yon moun nan fanmi m
option-asylum-help-detained-no = Non
field-asylum-help-family = Ki lòt moun ki fè pati dosye ou a?
    .help = Kite sa vid si se ou sèlman.
option-asylum-help-family-partner = Mari, madanm oswa patnè
option-asylum-help-family-children = Pitit
option-asylum-help-family-parents = Paran
option-asylum-help-family-other = Lòt fanmi
field-asylum-help-people = Konbyen moun ki nan dosye ou a, ansanm avè ou?
field-asylum-help-message = Kisa k te pase, e ki èd ou bezwen?
    .help = Ou ka ekri nan nenpòt ki lang. Rakonte nou tout sa ou santi ou ka pataje san danje.
field-asylum-help-documents = Dokiman
    .help = Pa egzanp yon lèt desizyon, yon avi tribinal oswa papye idantite. Foto dokiman yo bon tou.
field-asylum-help-consent = Mwen dakò pou ekip legal la kontakte m ak enfòmasyon ki anwo yo.
