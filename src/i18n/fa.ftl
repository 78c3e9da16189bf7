# sealpost — Persian catalog (فارسی), written to be clear to Farsi and Dari readers alike. Exactly the message ids of en.ftl.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Nouns stay singular after a number in Persian, so no plural selectors are needed.
# Words shared by Iran and Afghanistan are preferred (e.g. "پیام کوتاه" rather than Iran-only "پیامک").

## Every page

site-title = تماس امن
language-label = زبان
skip-link = رفتن به فرم
privacy-title = چه اتفاقی برای پیام شما می‌افتد
privacy-body = پیام و اسناد شما همین که می‌رسند، قفل (رمزگذاری) می‌شوند. فقط کارکنان ما می‌توانند آن‌ها را باز کنند، آن هم روی کامپیوترهای خودشان. این وب‌سایت آدرس اینترنت شما را ثبت نمی‌کند و هیچ چیزی در مرورگر شما ذخیره نمی‌شود.
quick-exit = فوراً از این سایت خارج شوید
status-link = خواندن پاسخ ما
privacy-notice-link = اطلاعیه حریم خصوصی ما

## Front page

index-title = چگونه می‌توانیم به شما کمک کنیم؟
index-intro = انتخاب کنید که چه کاری می‌خواهید انجام دهید. می‌توانید به هر زبانی بنویسید.

## Forms

required = ضروری
optional = اختیاری
send = ارسال امن
honeypot-label = این بخش را خالی بگذارید
files-limit = می‌توانید حداکثر { $count } فایل ضمیمه کنید، هر کدام حداکثر { $size }.
size-mb = { $size } مگابایت
size-kb = { $size } کیلوبایت
files-not-kept = برای امنیت شما، وقتی فرم دوباره نشان داده می‌شود، اسناد ضمیمه‌شده نگه داشته نمی‌شوند. لطفاً آن‌ها را دوباره ضمیمه کنید.
error-summary-title = لطفاً فرم را بررسی کنید
problem-too-fast = لطفاً پاسخ‌های خود را بررسی کنید، سپس دوباره «ارسال امن» را بزنید.
problem-expired = این صفحه مدت زیادی باز بوده است. لطفاً پاسخ‌های خود را بررسی کنید، سپس دوباره «ارسال امن» را بزنید.
problem-invalid = پیام شما ارسال نشد. لطفاً پاسخ‌های خود را بررسی کنید، سپس دوباره «ارسال امن» را بزنید.
problem-used = پیش از این پیامی از این صفحه فرستاده شده است، پس احتمالاً پیام شما رسیده است. برای فرستادن پیامی دیگر، لطفاً پاسخ‌های خود را بررسی کنید، سپس دوباره «ارسال امن» را بزنید.
error-required = لطفاً این بخش را پر کنید.
error-checkbox-required = لطفاً برای ادامه، این خانه را علامت بزنید.
error-too-long = لطفاً این متن را کوتاه کنید: حداکثر { $max } حرف.
error-email = لطفاً یک آدرس ایمیل مانند name@example.org بنویسید، یا این بخش را خالی بگذارید.
error-tel = لطفاً شماره تلفن را فقط با رقم، فاصله و + ( ) - بنویسید.
error-select = لطفاً یکی از گزینه‌ها را انتخاب کنید.
error-file-too-large = «{ $name }» خیلی بزرگ است. هر فایل می‌تواند حداکثر { $max } باشد.
error-too-many-files = می‌توانید حداکثر { $max } فایل ضمیمه کنید. لطفاً فایل‌های کمتری انتخاب کنید.
error-file-name = نام یکی از فایل‌ها قابل استفاده نیست. لطفاً نام آن را تغییر دهید و دوباره ضمیمه کنید.
value-yes = بله
date-placeholder = سال-ماه-روز
error-date = لطفاً یک تاریخ درست میلادی به شکل سال-ماه-روز بنویسید، مثلاً 2026-03-31.
error-number = لطفاً فقط با رقم یک عدد کامل بنویسید، مثلاً 3.
error-number-range = لطفاً عددی از { $min } تا { $max } بنویسید.
error-pattern = این پاسخ به شکلی که انتظار داریم نیست. لطفاً متن راهنما را بخوانید و دوباره تلاش کنید.
error-choices-required = لطفاً حداقل یک گزینه را انتخاب کنید.

## After sending

sent-title = پیام شما ارسال شد
sent-body = از شما تشکر می‌کنیم. پیام شما به‌طور امن نگهداری می‌شود و قفل شده است، تا فقط کارکنان ما بتوانند آن را بخوانند.
sent-next = یکی از اعضای تیم ما با استفاده از اطلاعاتی که داده‌اید با شما تماس می‌گیرد. این کار ممکن است چند روز طول بکشد. اکنون می‌توانید این صفحه را ببندید.
sent-again = ارسال یک پیام دیگر
receipt-title = کد پیگیری شما
receipt-intro = این عددها را یادداشت کنید و آن‌ها را پنهان نگه دارید. با آن‌ها می‌توانید به این وب‌سایت برگردید، پاسخ ما را بخوانید و دوباره برای ما بنویسید.
receipt-warning = هر کسی که این عددها را داشته باشد، می‌تواند پاسخ ما را بخواند. آن‌ها را به کسی ندهید و جایی نگه ندارید که دیگران بتوانند ببینند.
receipt-shown-once = کد پیگیری شما فقط یک بار نشان داده شد، در صفحه‌ای که درست بعد از ارسال آمد. برای امنیت شما، دوباره نشان داده نمی‌شود.
receipt-missing = این بار نتوانستیم کد پیگیری بسازیم. اگر اطلاعات تماس داده باشید، از همان استفاده می‌کنیم.
receipt-next = برای خواندن پاسخ ما در آینده، در بالای هر صفحه از این وب‌سایت «خواندن پاسخ ما» را انتخاب کنید و کد پیگیری خود را بنویسید.

## Reading an answer

status-title = خواندن پاسخ ما
status-intro = کد پیگیری را که بعد از ارسال پیام خود یادداشت کردید، بنویسید. فاصله‌ها و خط‌تیره‌ها مهم نیستند.
status-receipt-label = کد پیگیری شما
status-receipt-help = 25 رقم، در پنج گروه پنج‌تایی.
status-check = نشان دادن پاسخ
status-error-length = کد پیگیری 25 رقم دارد. شما { $count } رقم نوشتید.
status-error-characters = کد پیگیری فقط رقم دارد. لطفاً آنچه را نوشتید بررسی کنید.
status-error-group = گروه شماره { $group } در کد پیگیری شما درست به نظر نمی‌رسد. لطفاً آن را بررسی کنید.
status-not-found-title = هیچ گفتگویی با این کد پیگیری پیدا نکردیم
status-not-found-body = لطفاً کد پیگیری را بررسی کنید و دوباره تلاش کنید. هر گفتگو وقتی حذف می‌شود که شما آن را حذف کنید، یا { $days } روز بعد از آخرین پیام.
status-busy-title = لطفاً چند لحظه دیگر دوباره تلاش کنید
status-busy-body = در حال حاضر افراد زیادی پاسخ‌ها را می‌خوانند. لطفاً یک دقیقه صبر کنید، سپس دوباره تلاش کنید.
conversation-title = گفتگوی شما
conversation-read = تیم ما پیام شما را دریافت کرده است.
conversation-unread = تیم ما هنوز پیام شما را باز نکرده است.
conversation-replies = پاسخ‌های ما
conversation-no-replies = هنوز پاسخی نیامده است. لطفاً بعداً دوباره سر بزنید.
conversation-reply-date = پاسخ در تاریخ { $date }
conversation-download = دانلود «{ $name }»
conversation-expires = اگر تا { $date } کسی چیزی ننویسد، این گفتگو در همان تاریخ حذف می‌شود.
conversation-write = دوباره برای ما بنویسید
conversation-message = پیام شما
conversation-documents = اسناد
conversation-delete = حذف این گفتگو
conversation-delete-intro = اگر آن را حذف کنید، دیگر هیچ کس نمی‌تواند با این کد پیگیری پاسخ‌های ما را بخواند. آنچه قبلاً فرستاده‌اید نزد تیم ما می‌ماند.
conversation-delete-confirm = متوجه هستم. می‌خواهم این گفتگو همین حالا حذف شود.
conversation-delete-button = همین حالا حذف شود
conversation-deleted-title = گفتگو حذف شد
conversation-deleted-body = دیگر نمی‌توان پاسخ‌های ما را با این کد پیگیری خواند.
followup-sent-title = پیام شما ارسال شد
followup-sent-body = از شما تشکر می‌کنیم. برای خواندن پاسخ ما در آینده، از کد پیگیری خود استفاده کنید.

## Error pages

back-home = بازگشت به صفحه اصلی
error-not-found-title = صفحه پیدا نشد
error-not-found-body = در این آدرس هیچ صفحه‌ای وجود ندارد. لطفاً آدرس را بررسی کنید یا به صفحه اصلی برگردید.
error-method-title = این کار ممکن نیست
error-method-body = از این صفحه نمی‌توان این‌گونه استفاده کرد. لطفاً به صفحه اصلی برگردید.
error-too-large-title = پیام شما خیلی بزرگ است
error-too-large-body = پیام و اسناد شما روی هم می‌توانند حداکثر { $max } باشند. لطفاً برگردید، اسناد کمتر یا کوچک‌تری ضمیمه کنید و دوباره بفرستید.
error-rate-title = لطفاً پیش از ارسال دوباره کمی صبر کنید
error-rate-body = در مدت کوتاهی پیام‌های زیادی از اتصال شما یا به این سرویس فرستاده شده است. لطفاً { $minutes } دقیقه صبر کنید، سپس برگردید و دوباره بفرستید. پیام شما هنوز ارسال نشده است.
error-full-title = در حال حاضر نمی‌توانیم پیام بپذیریم
error-full-body = این سرویس موقتاً نمی‌تواند پیام‌های تازه را ذخیره کند. پیام شما ارسال نشده است. لطفاً بعداً دوباره تلاش کنید.
error-timeout-title = ارسال بیش از حد طول کشید
error-timeout-body = نتوانستیم پیام شما را به‌موقع دریافت کنیم، شاید چون اتصال کند است. پیام ارسال نشده است. لطفاً برگردید و دوباره تلاش کنید، شاید با اسناد کمتر.
error-bad-request-title = نتوانستیم فرم را بخوانیم
error-bad-request-body = هنگام ارسال فرم مشکلی پیش آمد. پیام شما ارسال نشده است. لطفاً به فرم برگردید و دوباره تلاش کنید.
error-unsupported-title = نتوانستیم فرم را بخوانیم
error-unsupported-body = این نوع ارسال پذیرفته نمی‌شود. لطفاً از فرم همین وب‌سایت استفاده کنید.
error-internal-title = مشکلی از طرف ما پیش آمد
error-internal-body = پیام شما ارسال نشده است. لطفاً چند دقیقه دیگر دوباره تلاش کنید.

## The general contact form

form-contact-title = تماس با ما
    .intro = به تیم ما پیام بفرستید. اگر پاسخ می‌خواهید، به ما بگویید چگونه می‌توانیم به‌طور امن با شما تماس بگیریم.
field-contact-name = نام شما
    .help = می‌توانید از نام مستعار استفاده کنید.
field-contact-email = آدرس ایمیل
    .help = فقط اگر نوشتن ما به این آدرس برای شما خطری ندارد.
field-contact-reply = راه‌های دیگر برای تماس با شما
    .help = مثلاً یک شماره تلفن، یا زمان‌هایی که زنگ زدن به شما امن است.
field-contact-message = پیام شما

## Help with an asylum or other protection claim

form-asylum-help-title = برای درخواست پناهندگی خود کمک حقوقی رایگان بخواهید
    .intro = اگر برای درخواست پناهندگی یا نوع دیگری از درخواست حمایت به کمک نیاز دارید و نمی‌توانید پول وکیل را بپردازید، درباره وضعیت خود به ما بگویید. یکی از اعضای تیم حقوقی ما آن را می‌خواند و با شما تماس می‌گیرد.
field-asylum-help-name = نام یا نام مستعار
    .help = شما را به چه نامی صدا کنیم؟
field-asylum-help-contact_method = چگونه با شما تماس بگیریم؟
option-asylum-help-contact_method-phone = تماس تلفنی
option-asylum-help-contact_method-sms = پیام کوتاه (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = ایمیل
option-asylum-help-contact_method-other = راه دیگر (در پایین بنویسید)
field-asylum-help-contact = اطلاعات تماس شما
    .help = شماره تلفن، آدرس ایمیل یا نام کاربری. اگر زمان‌ها یا راه‌هایی هست که تماس با شما امن نیست، به ما بگویید.
field-asylum-help-language = زبانی که ترجیح می‌دهید
    .help = زبانی که می‌خواهید ما با شما به آن صحبت کنیم. تلاش می‌کنیم یک مترجم پیدا کنیم.
field-asylum-help-location = اکنون کجا هستید؟
    .help = شهر و کشور. اگر در بازداشت، کمپ یا سرپناه هستید، لطفاً به ما بگویید.
fieldset-asylum-help-urgency = تاریخ‌ها و مهلت‌ها
    .help = این تاریخ‌ها به ما نشان می‌دهند چه چیزی از همه فوری‌تر است. هر چه را نمی‌دانید، خالی بگذارید.
field-asylum-help-arrived = چه زمانی به این کشور رسیدید؟
    .help = اگر روز دقیق را نمی‌دانید، روز اول ماه را انتخاب کنید. در بعضی کشورها درخواست پناهندگی باید در مدت معینی پس از رسیدن داده شود، مثلاً یک سال.
field-asylum-help-claim = آیا اینجا قبلاً درخواست پناهندگی یا حمایت داده‌اید؟
option-asylum-help-claim-no = هنوز نه
option-asylum-help-claim-waiting = بله، و منتظر تصمیم هستم
option-asylum-help-claim-refused = بله، و درخواستم رد شد
option-asylum-help-claim-unsure = مطمئن نیستم
field-asylum-help-next_date = تاریخ جلسه دادگاه (محکمه)، مصاحبه یا قرار ملاقات بعدی شما
    .help = اگر چنین قراری ندارید یا نمی‌دانید، این بخش را خالی بگذارید.
field-asylum-help-next_type = این قرار برای چیست؟
option-asylum-help-next_type-interview = مصاحبه پناهندگی
option-asylum-help-next_type-court = جلسه دادگاه (محکمه)
option-asylum-help-next_type-reporting = حاضر شدن نزد مقامات مهاجرت
option-asylum-help-next_type-other = چیز دیگری
option-asylum-help-next_type-unsure = مطمئن نیستم
field-asylum-help-decision_date = اگر تصمیمی دریافت کرده‌اید، چه تاریخی روی آن نوشته شده است؟
    .help = مهلت اعتراض به تصمیم اغلب کوتاه است، گاهی فقط چند روز از این تاریخ.
field-asylum-help-deadline = تاریخ‌ها یا مهلت‌های دیگر
    .help = مثلاً تاریخی که باید از آنجا بروید، یا نامه‌ای که به شما مهلتی داده است. اگر تاریخ را می‌دانید، آن را بنویسید.
fieldset-asylum-help-situation = وضعیت شما
field-asylum-help-detained = آیا کسی از افراد پرونده شما اکنون در بازداشت است؟
option-asylum-help-detained-me = بله، خودم
option-asylum-help-detained-family = بله، یکی از اعضای خانواده‌ام
option-asylum-help-detained-no = نه
field-asylum-help-family = چه کسان دیگری در پرونده شما هستند؟
    .help = اگر فقط خودتان هستید، این بخش را خالی بگذارید.
option-asylum-help-family-partner = همسر (زن یا شوهر) یا شریک زندگی
option-asylum-help-family-children = فرزندان
option-asylum-help-family-parents = پدر یا مادر
option-asylum-help-family-other = خویشاوندان دیگر
field-asylum-help-people = چند نفر، همراه با خودتان، در پرونده شما هستند؟
field-asylum-help-message = چه اتفاقی افتاده است و به چه کمکی نیاز دارید؟
    .help = می‌توانید به هر زبانی بنویسید. هر قدر که گفتنش را امن می‌دانید، برای ما بنویسید.
field-asylum-help-documents = اسناد
    .help = مثلاً نامه تصمیم، نامه‌ای از دادگاه، یا اسناد هویتی. عکس اسناد هم قابل قبول است.
field-asylum-help-consent = موافقم که تیم حقوقی با استفاده از اطلاعات بالا با من تماس بگیرد.
