# sealpost — Pashto catalog (پښتو), standard Afghan orthography. Exactly the message ids of en.ftl.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Polite plural "تاسو" throughout; counted nouns use the plural categories one and other.

## Every page

site-title = خوندي اړیکه
language-label = ژبه
skip-link = مستقیم فورمې ته لاړ شئ
privacy-title = ستاسو له پیغام سره څه کېږي
privacy-body = ستاسو پیغام او اسناد چې کله راورسېږي، سمدستي قلف (کوډ) کېږي. یوازې زموږ کارکوونکي یې پرانیستلی شي، هغه هم په خپلو کمپیوټرونو کې. دا وېبپاڼه ستاسو د انټرنېټ پته نه ثبتوي، او ستاسو په براوزر کې هېڅ شی نه ساتل کېږي.
quick-exit = له دې وېبپاڼې ژر ووځئ
status-link = زموږ ځواب ولولئ
privacy-notice-link = زموږ د محرمیت خبرتیا

## Front page

index-title = موږ څنګه له تاسو سره مرسته کولی شو؟
index-intro = وټاکئ چې څه کول غواړئ. تاسو په هره ژبه لیکلی شئ.

## Forms

required = اړین
optional = اختیاري
send = په خوندي ډول لېږل
honeypot-label = دا خانه تشه پرېږدئ
files-limit =
    { $count ->
        [one] تاسو یوازې یو فایل ضمیمه کولی شئ، چې تر { $size } پورې وي.
       *[other] تاسو تر { $count } فایلونو پورې ضمیمه کولی شئ، او هر فایل تر { $size } پورې کېدای شي.
    }
size-mb = { $size } مېګابایټ
size-kb = { $size } کيلوبایټ
files-not-kept = ستاسو د خوندیتوب لپاره، کله چې فورمه بیا ښودل کېږي، ضمیمه شوي اسناد نه ساتل کېږي. مهرباني وکړئ بیا یې ضمیمه کړئ.
error-summary-title = مهرباني وکړئ فورمه وګورئ
problem-too-fast = مهرباني وکړئ خپل ځوابونه وګورئ، او وروسته د «په خوندي ډول لېږل» تڼۍ یو ځل بیا کېکاږئ.
problem-expired = دا پاڼه ډېر وخت خلاصه پاتې شوې وه. مهرباني وکړئ خپل ځوابونه وګورئ، او وروسته د «په خوندي ډول لېږل» تڼۍ یو ځل بیا کېکاږئ.
problem-invalid = ستاسو پیغام ونه لېږل شو. مهرباني وکړئ خپل ځوابونه وګورئ، او وروسته د «په خوندي ډول لېږل» تڼۍ یو ځل بیا کېکاږئ.
problem-used = له دې پاڼې نه مخکې یو پیغام لېږل شوی دی، نو ښايي ستاسو پیغام رسېدلی وي. د بل پیغام د لېږلو لپاره، مهرباني وکړئ خپل ځوابونه وګورئ، او وروسته د «په خوندي ډول لېږل» تڼۍ یو ځل بیا کېکاږئ.
error-required = مهرباني وکړئ دا خانه ډکه کړئ.
error-checkbox-required = مهرباني وکړئ د دوام لپاره په دې خانه کې نښه ولګوئ.
error-too-long =
    { $max ->
        [one] مهرباني وکړئ دا متن لنډ کړئ، چې له یو توري زیات نه وي.
       *[other] مهرباني وکړئ دا متن لنډ کړئ، چې له { $max } تورو زیات نه وي.
    }
error-email = مهرباني وکړئ د name@example.org په څېر د ایمیل پته ولیکئ، یا دا خانه تشه پرېږدئ.
error-tel = مهرباني وکړئ د تلیفون شمېره یوازې په عددونو، تشو ځایونو او + ( ) - ولیکئ.
error-select = مهرباني وکړئ له انتخابونو څخه یو وټاکئ.
error-file-too-large = «{ $name }» ډېر لوی دی. هر فایل تر { $max } پورې کېدای شي.
error-too-many-files =
    { $max ->
        [one] تاسو یوازې یو فایل ضمیمه کولی شئ. مهرباني وکړئ لږ فایلونه وټاکئ.
       *[other] تاسو تر { $max } فایلونو پورې ضمیمه کولی شئ. مهرباني وکړئ لږ فایلونه وټاکئ.
    }
error-file-name = د یوه فایل نوم د کارولو وړ نه دی. مهرباني وکړئ د هغه نوم بدل کړئ او بیا یې ضمیمه کړئ.
value-yes = هو
date-placeholder = کال-میاشت-ورځ
error-date = مهرباني وکړئ سمه میلادي نېټه د کال-میاشت-ورځ په بڼه ولیکئ، د بېلګې په توګه 2026-03-31.
error-number = مهرباني وکړئ یوه بشپړه شمېره یوازې په عددونو ولیکئ، د بېلګې په توګه 3.
error-number-range = مهرباني وکړئ له { $min } څخه تر { $max } پورې یوه شمېره ولیکئ.
error-pattern = دا ځواب په هغه بڼه نه دی چې موږ یې تمه لرو. مهرباني وکړئ لارښود متن ولولئ او بیا هڅه وکړئ.
error-choices-required = مهرباني وکړئ لږ تر لږه یو وټاکئ.

## After sending

sent-title = ستاسو پیغام ولېږل شو
sent-body = مننه. ستاسو پیغام په خوندي ډول ساتل شوی او قلف شوی دی، څو یوازې زموږ کارکوونکي یې ولوستلی شي.
sent-next = زموږ د ټیم یو غړی به د هغو معلوماتو له لارې چې تاسو راکړي دي، له تاسو سره اړیکه ونیسي. دا کار ښايي څو ورځې وخت ونیسي. اوس کولی شئ دا پاڼه وتړئ.
sent-again = بل پیغام ولېږئ
receipt-title = ستاسو د تعقیب شمېره
receipt-intro = دا عددونه ولیکئ او پټ یې وساتئ. د همدې عددونو په مرسته تاسو کولی شئ بېرته دې وېبپاڼې ته راشئ، زموږ ځواب ولولئ او موږ ته بیا ولیکئ.
receipt-warning = هر څوک چې دا عددونه ولري، زموږ ځواب لوستلی شي. دا عددونه هېچا ته مه ورکوئ، او داسې ځای کې یې مه ساتئ چې نور یې ولیدلی شي.
receipt-shown-once = ستاسو د تعقیب شمېره یوازې یو ځل وښودل شوه، په هغه پاڼه کې چې سمدستي د لېږلو وروسته راغله. ستاسو د خوندیتوب لپاره، بیا نه ښودل کېږي.
receipt-missing = دا ځل موږ ونه توانېدو چې د تعقیب شمېره جوړه کړو. که تاسو د اړیکې معلومات راکړي وي، له هغو به کار واخلو.
receipt-next = د دې لپاره چې وروسته زموږ ځواب ولولئ، د دې وېبپاڼې د هرې پاڼې په سر کې «زموږ ځواب ولولئ» وټاکئ او خپله د تعقیب شمېره ولیکئ.

## Reading an answer

status-title = زموږ ځواب ولولئ
status-intro = هغه د تعقیب شمېره ولیکئ چې د پیغام له لېږلو وروسته مو لیکلې وه. تش ځایونه او کرښې (-) اهمیت نه لري.
status-receipt-label = ستاسو د تعقیب شمېره
status-receipt-help = 25 عددونه، په پنځو ډلو کې، په هره ډله کې پنځه عددونه.
status-check = ځواب ښکاره کړئ
status-error-length =
    د تعقیب شمېره 25 عددونه لري. { $count ->
        [one] تاسو یوازې یو عدد ولیکه.
       *[other] تاسو { $count } عددونه ولیکل.
    }
status-error-characters = د تعقیب شمېره یوازې عددونه لري. مهرباني وکړئ هغه څه وګورئ چې تاسو لیکلي دي.
status-error-group = ستاسو د تعقیب شمېرې { $group } نمبر ډله سمه نه ښکاري. مهرباني وکړئ هغه وګورئ.
status-not-found-title = موږ د دې تعقیب شمېرې لپاره هېڅ خبرې اترې ونه موندلې
status-not-found-body =
    مهرباني وکړئ د تعقیب شمېره وګورئ او بیا هڅه وکړئ. خبرې اترې هغه وخت ړنګېږي چې تاسو یې ړنګې کړئ، یا د وروستي پیغام څخه { $days ->
        [one] یوه ورځ
       *[other] { $days } ورځې
    } وروسته.
status-busy-title = مهرباني وکړئ یوه شېبه وروسته بیا هڅه وکړئ
status-busy-body = اوس مهال ډېر خلک ځوابونه لولي. مهرباني وکړئ یوه دقیقه صبر وکړئ، بیا هڅه وکړئ.
conversation-title = ستاسو خبرې اترې
conversation-read = زموږ ټیم ستاسو پیغام ترلاسه کړی دی.
conversation-unread = زموږ ټیم لا ستاسو پیغام نه دی پرانیستی.
conversation-replies = زموږ ځوابونه
conversation-no-replies = لا تر اوسه ځواب نشته. مهرباني وکړئ وروسته بیا راشئ.
conversation-reply-date = د { $date } نېټې ځواب
conversation-download = «{ $name }» ښکته کړئ
conversation-expires = که تر { $date } پورې څوک څه ونه لیکي، دا خبرې اترې به په همدې نېټه ړنګې شي.
conversation-write = موږ ته بیا ولیکئ
conversation-message = ستاسو پیغام
conversation-documents = اسناد
conversation-delete = دا خبرې اترې ړنګې کړئ
conversation-delete-intro = که یې ړنګې کړئ، بیا به هېڅوک ونه شي کولی د دې تعقیب شمېرې په مرسته زموږ ځوابونه ولولي. هغه څه چې تاسو مخکې لېږلي دي، زموږ له ټیم سره پاتې کېږي.
conversation-delete-confirm = زه پوهېږم. غواړم دا خبرې اترې همدا اوس ړنګې شي.
conversation-delete-button = همدا اوس یې ړنګې کړئ
conversation-deleted-title = خبرې اترې ړنګې شوې
conversation-deleted-body = زموږ ځوابونه نور د دې تعقیب شمېرې په مرسته نه شي لوستل کېدای.
followup-sent-title = ستاسو پیغام ولېږل شو
followup-sent-body = مننه. د دې لپاره چې وروسته زموږ ځواب ولولئ، خپله د تعقیب شمېره وکاروئ.

## Error pages

back-home = لومړۍ پاڼې ته بېرته لاړ شئ
error-not-found-title = پاڼه ونه موندل شوه
error-not-found-body = په دې پته کومه پاڼه نشته. مهرباني وکړئ پته وګورئ، یا لومړۍ پاڼې ته بېرته لاړ شئ.
error-method-title = دا کار نه شي کېدای
error-method-body = دا پاڼه په دې ډول نه شي کارېدای. مهرباني وکړئ لومړۍ پاڼې ته بېرته لاړ شئ.
error-too-large-title = ستاسو پیغام ډېر لوی دی
error-too-large-body = ستاسو پیغام او اسناد ټول یوځای تر { $max } پورې کېدای شي. مهرباني وکړئ بېرته لاړ شئ، لږ یا کوچني اسناد ضمیمه کړئ، او بیا یې ولېږئ.
error-rate-title = مهرباني وکړئ مخکې له دې چې بیا یې ولېږئ، لږ صبر وکړئ
error-rate-body =
    په لنډ وخت کې ستاسو له انټرنېټ اتصال څخه، یا دې خدمت ته، ډېر پیغامونه لېږل شوي دي. مهرباني وکړئ { $minutes ->
        [one] یوه دقیقه
       *[other] { $minutes } دقیقې
    } صبر وکړئ، بیا بېرته لاړ شئ او بیا یې ولېږئ. ستاسو پیغام لا نه دی لېږل شوی.
error-full-title = اوس مهال نوي پیغامونه نه شو منلی
error-full-body = دا خدمت لنډمهاله نوي پیغامونه نه شي ساتلی. ستاسو پیغام نه دی لېږل شوی. مهرباني وکړئ وروسته بیا هڅه وکړئ.
error-timeout-title = لېږل ډېر زیات وخت ونیو
error-timeout-body = موږ ستاسو پیغام په وخت ترلاسه نه کړای شو، ښايي ځکه چې اتصال ورو دی. پیغام نه دی لېږل شوی. مهرباني وکړئ بېرته لاړ شئ او بیا هڅه وکړئ، ښايي له لږو اسنادو سره.
error-bad-request-title = فورمه ونه لوستل شوه
error-bad-request-body = د فورمې د لېږلو پر مهال یوه ستونزه رامنځته شوه. ستاسو پیغام نه دی لېږل شوی. مهرباني وکړئ فورمې ته بېرته لاړ شئ او بیا هڅه وکړئ.
error-unsupported-title = فورمه ونه لوستل شوه
error-unsupported-body = دا ډول لېږل نه منل کېږي. مهرباني وکړئ د همدې وېبپاڼې فورمه وکاروئ.
error-internal-title = زموږ له خوا یوه ستونزه رامنځته شوه
error-internal-body = ستاسو پیغام نه دی لېږل شوی. مهرباني وکړئ څو دقیقې وروسته بیا هڅه وکړئ.

## The general contact form

form-contact-title = له موږ سره اړیکه ونیسئ
    .intro = زموږ ټیم ته پیغام ولېږئ. که ځواب غواړئ، موږ ته ووایئ چې څنګه په خوندي ډول له تاسو سره اړیکه ونیسو.
field-contact-name = ستاسو نوم
    .help = تاسو کولی شئ مستعار نوم وکاروئ.
field-contact-email = د ایمیل پته
    .help = یوازې که دا خوندي وي چې موږ په دې پته تاسو ته ولیکو.
field-contact-reply = له تاسو سره د اړیکې نورې لارې
    .help = د بېلګې په توګه د تلیفون شمېره، یا هغه وختونه چې تاسو ته زنګ وهل خوندي وي.
field-contact-message = ستاسو پیغام

## Help with an asylum or other protection claim

form-asylum-help-title = د خپلې پناه غوښتنې لپاره وړیا حقوقي مرسته وغواړئ
    .intro = که تاسو د پناه غوښتنې یا د ساتنې د کومې بلې غوښتنې لپاره مرستې ته اړتیا لرئ او د وکیل پیسې نه شئ ورکولی، موږ ته د خپل حالت په اړه ووایئ. زموږ د حقوقي ټیم یو غړی به یې ولولي او له تاسو سره به اړیکه ونیسي.
field-asylum-help-name = نوم یا مستعار نوم
    .help = موږ تاسو ته په کوم نوم غږ وکړو؟
field-asylum-help-contact_method = موږ له تاسو سره څنګه اړیکه ونیسو؟
option-asylum-help-contact_method-phone = تلیفوني زنګ
option-asylum-help-contact_method-sms = لنډ پیغام (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = ایمیل
option-asylum-help-contact_method-other = بله لاره (لاندې یې ولیکئ)
field-asylum-help-contact = ستاسو د اړیکې معلومات
    .help = د تلیفون شمېره، د ایمیل پته یا د کارونکي نوم. که داسې وختونه یا لارې وي چې له تاسو سره اړیکه نیول پکې خوندي نه وي، موږ ته یې ووایئ.
field-asylum-help-language = ستاسو د خوښې ژبه
    .help = هغه ژبه چې غواړئ موږ یې وکاروو. هڅه به وکړو چې ژباړونکی پیدا کړو.
field-asylum-help-location = تاسو اوس چېرته یاست؟
    .help = ښار او هېواد. که تاسو په توقیف کې، په کمپ کې یا په سرپناه کې یاست، مهرباني وکړئ موږ ته ووایئ.
fieldset-asylum-help-urgency = نېټې او مهلتونه
    .help = دا نېټې موږ ته ښيي چې کوم کار تر ټولو بېړنی دی. هر څه چې نه پرې پوهېږئ، هغه تش پرېږدئ.
field-asylum-help-arrived = تاسو کله دې هېواد ته راغلئ؟
    .help = که دقیقه ورځ درته معلومه نه وي، د میاشتې لومړۍ ورځ وټاکئ. په ځینو هېوادونو کې باید له رارسېدو وروسته په یوه ټاکلې موده کې د پناه غوښتنه وشي، د بېلګې په توګه یو کال.
field-asylum-help-claim = ایا تاسو دلته مخکې د پناه یا ساتنې غوښتنه کړې ده؟
option-asylum-help-claim-no = لا نه
option-asylum-help-claim-waiting = هو، او د پرېکړې په تمه یم
option-asylum-help-claim-refused = هو، او زما غوښتنه رد شوه
option-asylum-help-claim-unsure = ډاډه نه یم
field-asylum-help-next_date = ستاسو د راتلونکې اورېدنې، مرکې یا ملاقات نېټه
    .help = که داسې څه نه لرئ یا نه پوهېږئ، دا خانه تشه پرېږدئ.
field-asylum-help-next_type = دا ملاقات د څه لپاره دی؟
option-asylum-help-next_type-interview = د پناه غوښتنې مرکه
option-asylum-help-next_type-court = د محکمې اورېدنه
option-asylum-help-next_type-reporting = د مهاجرت چارواکو ته حاضرېدل
option-asylum-help-next_type-other = بل څه
option-asylum-help-next_type-unsure = ډاډه نه یم
field-asylum-help-decision_date = که تاسو ته پرېکړه درکړل شوې وي، په هغې کومه نېټه لیکل شوې ده؟
    .help = د اعتراض (استیناف) وخت اکثره لنډ وي، کله کله له دې نېټې څخه یوازې څو ورځې.
field-asylum-help-deadline = نورې نېټې یا مهلتونه
    .help = د بېلګې په توګه هغه نېټه چې باید ولاړ شئ، یا یو لیک چې تاسو ته یې مهلت درکړی وي. که نېټه درته معلومه وي، ویې لیکئ.
fieldset-asylum-help-situation = ستاسو حالت
field-asylum-help-detained = ایا ستاسو په دوسیه کې څوک اوس په توقیف کې دی؟
option-asylum-help-detained-me = هو، زه
option-asylum-help-detained-family = هو، زما د کورنۍ یو غړی
option-asylum-help-detained-no = نه
field-asylum-help-family = نور څوک ستاسو په دوسیه کې شامل دي؟
    .help = که یوازې تاسو یاست، دا خانه تشه پرېږدئ.
option-asylum-help-family-partner = مېړه، مېرمن یا د ژوند ملګری
option-asylum-help-family-children = ماشومان
option-asylum-help-family-parents = مور یا پلار
option-asylum-help-family-other = نور خپلوان
field-asylum-help-people = ستاسو په دوسیه کې، د خپل ځان په ګډون، څو کسان دي؟
field-asylum-help-message = څه پېښ شوي دي، او تاسو څه ډول مرستې ته اړتیا لرئ؟
    .help = تاسو په هره ژبه لیکلی شئ. هر څه چې یې ویل ستاسو لپاره خوندي وي، موږ ته یې ولیکئ.
field-asylum-help-documents = اسناد
    .help = د بېلګې په توګه د پرېکړې لیک، د محکمې خبرتیا، یا د پېژندنې اسناد. د اسنادو عکسونه هم سم دي.
field-asylum-help-consent = زه موافقه کوم چې حقوقي ټیم د پورته معلوماتو له لارې له ما سره اړیکه ونیسي.
