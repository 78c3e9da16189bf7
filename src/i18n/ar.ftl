# sealpost — Arabic catalog (العربية), simple Modern Standard Arabic. Exactly the message ids of en.ftl.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Instructions use "يُرجى" + verbal noun, which is polite and the same for women and men.
# Counted nouns follow Arabic number agreement through the plural categories one, two, few, many, other.

## Every page

site-title = تواصل آمن
language-label = اللغة
skip-link = الانتقال إلى النموذج
privacy-title = ماذا يحدث لرسالتك
privacy-body = تُقفَل رسالتك ومستنداتك (تُشفَّر) فور وصولها. لا يستطيع فتحها إلا موظفونا، على أجهزة الكمبيوتر الخاصة بهم. هذا الموقع لا يسجّل عنوان الإنترنت الخاص بك، ولا يُحفَظ أي شيء في متصفحك.
quick-exit = غادر هذا الموقع بسرعة
status-link = قراءة ردّنا
privacy-notice-link = إشعار الخصوصية لدينا

## Front page

index-title = كيف يمكننا مساعدتك؟
index-intro = يُرجى اختيار ما تريد القيام به. يمكنك الكتابة بأي لغة.

## Forms

required = مطلوب
optional = اختياري
send = إرسال بأمان
honeypot-label = يُرجى ترك هذا الحقل فارغًا
files-limit =
    { $count ->
        [one] يمكنك إرفاق ملف واحد كحد أقصى، بحجم يصل إلى { $size }.
        [two] يمكنك إرفاق ملفين كحد أقصى، بحجم يصل إلى { $size } لكل منهما.
        [few] يمكنك إرفاق ما يصل إلى { $count } ملفات، بحجم يصل إلى { $size } لكل ملف.
        [many] يمكنك إرفاق ما يصل إلى { $count } ملفًا، بحجم يصل إلى { $size } لكل ملف.
       *[other] يمكنك إرفاق ما يصل إلى { $count } ملف، بحجم يصل إلى { $size } لكل ملف.
    }
size-mb = { $size } ميغابايت
size-kb = { $size } كيلوبايت
files-not-kept = حفاظًا على سلامتك، لا نحتفظ بالمستندات المرفقة عند عرض النموذج مرة أخرى. يُرجى إرفاقها من جديد.
error-summary-title = يُرجى مراجعة النموذج
problem-too-fast = يُرجى مراجعة إجاباتك، ثم الضغط على «إرسال بأمان» مرة أخرى.
problem-expired = بقيت هذه الصفحة مفتوحة وقتًا طويلًا. يُرجى مراجعة إجاباتك، ثم الضغط على «إرسال بأمان» مرة أخرى.
problem-invalid = تعذّر إرسال رسالتك. يُرجى مراجعة إجاباتك، ثم الضغط على «إرسال بأمان» مرة أخرى.
problem-used = سبق إرسال رسالة من هذه الصفحة، لذا من المرجّح أن رسالتك قد وصلت. لإرسال رسالة أخرى، يُرجى مراجعة إجاباتك، ثم الضغط على «إرسال بأمان» مرة أخرى.
error-required = يُرجى ملء هذا الحقل.
error-checkbox-required = يُرجى وضع علامة في هذا المربع للمتابعة.
error-too-long =
    { $max ->
        [one] يُرجى اختصار هذا النص إلى حرف واحد أو أقل.
        [two] يُرجى اختصار هذا النص إلى حرفين أو أقل.
        [few] يُرجى اختصار هذا النص إلى { $max } أحرف أو أقل.
        [many] يُرجى اختصار هذا النص إلى { $max } حرفًا أو أقل.
       *[other] يُرجى اختصار هذا النص إلى { $max } حرف أو أقل.
    }
error-email = يُرجى كتابة عنوان بريد إلكتروني مثل name@example.org، أو ترك هذا الحقل فارغًا.
error-tel = يُرجى كتابة رقم الهاتف باستخدام الأرقام والمسافات و + ( ) - فقط.
error-select = يُرجى اختيار أحد الخيارات.
error-file-too-large = الملف «{ $name }» كبير جدًا. يمكن أن يصل حجم كل ملف إلى { $max }.
error-too-many-files =
    { $max ->
        [one] يمكنك إرفاق ملف واحد فقط. يُرجى اختيار عدد أقل.
        [two] يمكنك إرفاق ملفين كحد أقصى. يُرجى اختيار عدد أقل.
        [few] يمكنك إرفاق { $max } ملفات كحد أقصى. يُرجى اختيار عدد أقل.
        [many] يمكنك إرفاق { $max } ملفًا كحد أقصى. يُرجى اختيار عدد أقل.
       *[other] يمكنك إرفاق { $max } ملف كحد أقصى. يُرجى اختيار عدد أقل.
    }
error-file-name = أحد الملفات له اسم لا يمكن استخدامه. يُرجى تغيير اسمه ثم إرفاقه من جديد.
value-yes = نعم
date-placeholder = سنة-شهر-يوم
error-date = يُرجى كتابة تاريخ صحيح بالترتيب سنة-شهر-يوم، مثل 2026-03-31.
error-number = يُرجى كتابة عدد صحيح (بدون كسور) بالأرقام فقط، مثل 3.
error-number-range = يُرجى كتابة عدد من { $min } إلى { $max }.
error-pattern = هذه الإجابة ليست بالشكل الذي نتوقعه. يُرجى قراءة النص التوضيحي، ثم المحاولة مرة أخرى.
error-choices-required = يُرجى اختيار خيار واحد على الأقل.

## After sending

sent-title = تم إرسال رسالتك
sent-body = شكرًا لك. رسالتك محفوظة بأمان ومُقفَلة، بحيث لا يستطيع قراءتها إلا موظفونا.
sent-next = سيتواصل معك أحد أعضاء فريقنا باستخدام البيانات التي قدّمتها. قد يستغرق ذلك بضعة أيام. يمكنك الآن إغلاق هذه الصفحة.
sent-again = إرسال رسالة أخرى
receipt-title = رمز المتابعة الخاص بك
receipt-intro = يُرجى كتابة هذه الأرقام والاحتفاظ بها في مكان مخفي. باستخدامها يمكنك العودة إلى هذا الموقع لقراءة ردّنا وللكتابة إلينا مرة أخرى.
receipt-warning = أي شخص لديه هذه الأرقام يمكنه قراءة ردّنا. يُرجى عدم إعطائها لأي أحد، وعدم الاحتفاظ بها في مكان يمكن أن يراها فيه الآخرون.
receipt-shown-once = ظهر رمز المتابعة الخاص بك مرة واحدة فقط، في الصفحة التي ظهرت مباشرة بعد الإرسال. حفاظًا على سلامتك، لن يظهر مرة أخرى.
receipt-missing = لم نتمكن من إنشاء رمز متابعة هذه المرة. سنستخدم بيانات التواصل التي قدّمتها، إن وُجدت.
receipt-next = لقراءة ردّنا لاحقًا، يُرجى اختيار «قراءة ردّنا» في أعلى أي صفحة من هذا الموقع، ثم كتابة رمز المتابعة الخاص بك.

## Reading an answer

status-title = قراءة ردّنا
status-intro = يُرجى كتابة رمز المتابعة الذي دوّنته بعد إرسال رسالتك. لا تهمّ المسافات والشرطات.
status-receipt-label = رمز المتابعة الخاص بك
status-receipt-help = 25 رقمًا، في خمس مجموعات، في كل مجموعة خمسة أرقام.
status-check = عرض الرد
status-error-length =
    يتكوّن رمز المتابعة من 25 رقمًا. { $count ->
        [one] لقد كتبت رقمًا واحدًا.
        [two] لقد كتبت رقمين.
        [few] لقد كتبت { $count } أرقام.
        [many] لقد كتبت { $count } رقمًا.
       *[other] لقد كتبت { $count } رقم.
    }
status-error-characters = يتكوّن رمز المتابعة من أرقام فقط. يُرجى مراجعة ما كتبته.
status-error-group = يبدو أن المجموعة رقم { $group } في رمز المتابعة الخاص بك غير صحيحة. يُرجى مراجعتها.
status-not-found-title = لم نجد أي محادثة برمز المتابعة هذا
status-not-found-body =
    يُرجى مراجعة رمز المتابعة والمحاولة مرة أخرى. تُحذَف المحادثة إذا اخترت حذفها، أو بعد { $days ->
        [one] يوم واحد
        [two] يومين
        [few] { $days } أيام
        [many] { $days } يومًا
       *[other] { $days } يوم
    } من آخر رسالة.
status-busy-title = يُرجى المحاولة مرة أخرى بعد قليل
status-busy-body = يقرأ كثير من الناس الردود في هذه اللحظة. يُرجى الانتظار دقيقة واحدة، ثم المحاولة مرة أخرى.
conversation-title = محادثتك
conversation-read = استلم فريقنا رسالتك.
conversation-unread = لم يفتح فريقنا رسالتك بعد.
conversation-replies = ردودنا
conversation-no-replies = لا يوجد رد حتى الآن. يُرجى العودة لاحقًا.
conversation-reply-date = ردّ بتاريخ { $date }
conversation-download = تنزيل «{ $name }»
conversation-expires = ستُحذَف هذه المحادثة في { $date } إذا لم يكتب أحد قبل ذلك.
conversation-write = الكتابة إلينا مرة أخرى
conversation-message = رسالتك
conversation-documents = المستندات
conversation-delete = حذف هذه المحادثة
conversation-delete-intro = إذا حذفتها، فلن يتمكن أحد بعد ذلك من قراءة ردودنا برمز المتابعة هذا. ما أرسلته من قبل يبقى لدى فريقنا.
conversation-delete-confirm = أفهم ذلك. أريد حذف هذه المحادثة الآن.
conversation-delete-button = حذف الآن
conversation-deleted-title = حُذفت المحادثة
conversation-deleted-body = لم يعد من الممكن قراءة ردودنا برمز المتابعة هذا.
followup-sent-title = تم إرسال رسالتك
followup-sent-body = شكرًا لك. يُرجى استخدام رمز المتابعة الخاص بك لقراءة ردّنا لاحقًا.

## Error pages

back-home = العودة إلى الصفحة الرئيسية
error-not-found-title = الصفحة غير موجودة
error-not-found-body = لا توجد صفحة على هذا العنوان. يُرجى التحقق من العنوان أو العودة إلى الصفحة الرئيسية.
error-method-title = لا يمكن القيام بهذا الإجراء
error-method-body = لا يمكن استخدام هذه الصفحة بهذه الطريقة. يُرجى العودة إلى الصفحة الرئيسية.
error-too-large-title = رسالتك كبيرة جدًا
error-too-large-body = يمكن أن يصل حجم رسالتك ومستنداتك معًا إلى { $max }. يُرجى الرجوع، وإرفاق مستندات أقل عددًا أو أصغر حجمًا، ثم الإرسال مرة أخرى.
error-rate-title = يُرجى الانتظار قبل الإرسال مرة أخرى
error-rate-body =
    أُرسلت رسائل كثيرة من اتصالك أو إلى هذه الخدمة خلال وقت قصير. يُرجى الانتظار { $minutes ->
        [one] دقيقة واحدة
        [two] دقيقتين
        [few] { $minutes } دقائق
        [many] { $minutes } دقيقة
       *[other] { $minutes } دقيقة
    }، ثم الرجوع والإرسال مرة أخرى. لم تُرسَل رسالتك بعد.
error-full-title = لا يمكننا استقبال الرسائل في الوقت الحالي
error-full-body = الخدمة غير قادرة مؤقتًا على حفظ رسائل جديدة. لم تُرسَل رسالتك. يُرجى المحاولة مرة أخرى لاحقًا.
error-timeout-title = استغرق الإرسال وقتًا طويلًا جدًا
error-timeout-body = تعذّر استلام رسالتك في الوقت المحدد، ربما لأن الاتصال بطيء. لم تُرسَل الرسالة. يُرجى الرجوع والمحاولة مرة أخرى، وربما بعدد أقل من المستندات.
error-bad-request-title = تعذّرت قراءة النموذج
error-bad-request-body = حدث خطأ أثناء إرسال النموذج. لم تُرسَل رسالتك. يُرجى العودة إلى النموذج والمحاولة مرة أخرى.
error-unsupported-title = تعذّرت قراءة النموذج
error-unsupported-body = لا نقبل هذا النوع من الإرسال. يُرجى استخدام النموذج الموجود في هذا الموقع.
error-internal-title = حدث خطأ من جهتنا
error-internal-body = لم تُرسَل رسالتك. يُرجى المحاولة مرة أخرى بعد بضع دقائق.

## The general contact form

form-contact-title = تواصل معنا
    .intro = يمكنك إرسال رسالة إلى فريقنا. إذا كنت ترغب في الحصول على رد، يُرجى إخبارنا كيف يمكننا التواصل معك بأمان.
field-contact-name = اسمك
    .help = يمكنك استخدام اسم مستعار.
field-contact-email = عنوان البريد الإلكتروني
    .help = فقط إذا كان من الآمن أن نراسلك على هذا العنوان.
field-contact-reply = طرق أخرى للتواصل معك
    .help = مثل رقم هاتف، أو الأوقات التي يكون فيها الاتصال بك آمنًا.
field-contact-message = رسالتك

## Help with an asylum or other protection claim

form-asylum-help-title = اطلب مساعدة قانونية مجانية بخصوص طلب اللجوء
    .intro = إذا كنت بحاجة إلى مساعدة في طلب لجوء أو طلب حماية آخر، ولا تستطيع دفع أتعاب محامٍ، يُرجى إخبارنا عن وضعك. سيقرأ أحد أعضاء فريقنا القانوني ما كتبته، ثم يتواصل معك.
field-asylum-help-name = الاسم أو الاسم المستعار
    .help = ما الاسم الذي تريد أن نناديك به؟
field-asylum-help-contact_method = كيف تريد أن نتواصل معك؟
option-asylum-help-contact_method-phone = مكالمة هاتفية
option-asylum-help-contact_method-sms = رسالة نصية (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = البريد الإلكتروني
option-asylum-help-contact_method-other = طريقة أخرى (يُرجى ذكرها في الأسفل)
field-asylum-help-contact = بيانات التواصل معك
    .help = رقم الهاتف أو عنوان البريد الإلكتروني أو اسم المستخدم. يُرجى إخبارنا إذا كانت هناك أوقات أو طرق لا يكون فيها التواصل معك آمنًا.
field-asylum-help-language = لغتك المفضلة
    .help = اللغة التي تريد أن نستخدمها معك. سنحاول إيجاد مترجم.
field-asylum-help-location = أين أنت الآن؟
    .help = المدينة والبلد. إذا كنت في مركز احتجاز أو مخيم أو مأوى، يُرجى إخبارنا.
fieldset-asylum-help-urgency = التواريخ والمواعيد النهائية
    .help = تساعدنا هذه التواريخ على معرفة الأمور الأكثر استعجالًا. يُرجى ترك ما لا تعرفه فارغًا.
field-asylum-help-arrived = متى وصلت إلى هذا البلد؟
    .help = إذا كنت لا تعرف اليوم بالضبط، يُرجى اختيار أول يوم من الشهر. في بعض البلدان يجب تقديم طلب اللجوء خلال مدة محددة بعد الوصول، مثل سنة واحدة.
field-asylum-help-claim = هل قدّمت طلب لجوء أو حماية هنا من قبل؟
option-asylum-help-claim-no = ليس بعد
option-asylum-help-claim-waiting = نعم، وأنا أنتظر القرار
option-asylum-help-claim-refused = نعم، ورُفض طلبي
option-asylum-help-claim-unsure = لا أعرف بالضبط
field-asylum-help-next_date = تاريخ جلستك أو مقابلتك أو موعدك القادم
    .help = يُرجى ترك هذا الحقل فارغًا إذا لم يكن لديك موعد أو كنت لا تعرفه.
field-asylum-help-next_type = ما نوع هذا الموعد؟
option-asylum-help-next_type-interview = مقابلة لجوء
option-asylum-help-next_type-court = جلسة في المحكمة
option-asylum-help-next_type-reporting = الحضور إلى سلطات الهجرة للتوقيع أو المراجعة
option-asylum-help-next_type-other = شيء آخر
option-asylum-help-next_type-unsure = لا أعرف بالضبط
field-asylum-help-decision_date = إذا وصلك قرار، ما التاريخ المكتوب عليه؟
    .help = غالبًا ما تكون مدة الطعن في القرار قصيرة، وأحيانًا بضعة أيام فقط من هذا التاريخ.
field-asylum-help-deadline = أي تواريخ أو مواعيد نهائية أخرى
    .help = مثل تاريخ يجب أن تغادر فيه، أو خطاب يحدد لك موعدًا نهائيًا. يُرجى كتابة التاريخ إذا كنت تعرفه.
fieldset-asylum-help-situation = وضعك
field-asylum-help-detained = هل أحد من الأشخاص المذكورين في ملفك محتجز الآن؟
option-asylum-help-detained-me = نعم، أنا
option-asylum-help-detained-family = نعم، أحد أفراد عائلتي
option-asylum-help-detained-no = لا
field-asylum-help-family = من الأشخاص الآخرون المذكورون في ملفك؟
    .help = يُرجى ترك هذا الحقل فارغًا إذا كان الملف لك وحدك.
option-asylum-help-family-partner = الزوج أو الزوجة أو الشريك
option-asylum-help-family-children = الأبناء
option-asylum-help-family-parents = الأب أو الأم
option-asylum-help-family-other = أقارب آخرون
field-asylum-help-people = كم عدد الأشخاص في ملفك، بما فيهم أنت؟
field-asylum-help-message = ماذا حدث، وما المساعدة التي تحتاجها؟
    .help = يمكنك الكتابة بأي لغة. يُرجى إخبارنا بكل ما تشعر بالأمان في مشاركته.
field-asylum-help-documents = المستندات
    .help = مثل خطاب فيه قرار، أو إشعار من المحكمة، أو أوراق الهوية. يمكن إرسال صور المستندات.
field-asylum-help-consent = أوافق على أن يتواصل معي الفريق القانوني باستخدام البيانات المذكورة أعلاه.
