# sealpost — Turkish catalog (Türkçe). Exactly the message ids of en.ftl; polite "siz".
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Nouns stay singular after a number in Turkish, so no plural selectors are needed.

## Every page

site-title = Güvenli iletişim
language-label = Dil
skip-link = Forma geç
privacy-title = Mesajınıza ne olur
privacy-body = Mesajınız ve belgeleriniz bize ulaştığı anda kilitlenir (şifrelenir). Onları yalnızca çalışanlarımız, kendi bilgisayarlarında açabilir. Bu web sitesi internet adresinizi kaydetmez ve tarayıcınızda hiçbir şey saklanmaz.
quick-exit = Bu siteden hemen çık
status-link = Cevabımızı oku
privacy-notice-link = Gizlilik bildirimimiz

## Front page

index-title = Size nasıl yardımcı olabiliriz?
index-intro = Ne yapmak istediğinizi seçin. İstediğiniz dilde yazabilirsiniz.

## Forms

required = zorunlu
optional = isteğe bağlı
send = Güvenle gönder
honeypot-label = Bu alanı boş bırakın
files-limit = En fazla { $count } dosya ekleyebilirsiniz; her dosya en fazla { $size } olabilir.
size-mb = { $size } MB
size-kb = { $size } KB
files-not-kept = Güvenliğiniz için, form yeniden gösterildiğinde eklediğiniz belgeler saklanmaz. Lütfen onları yeniden ekleyin.
error-summary-title = Lütfen formu kontrol edin
problem-too-fast = Lütfen cevaplarınızı kontrol edin, sonra “Güvenle gönder” düğmesine yeniden basın.
problem-expired = Bu sayfa uzun süre açık kaldı. Lütfen cevaplarınızı kontrol edin, sonra “Güvenle gönder” düğmesine yeniden basın.
problem-invalid = Mesajınız gönderilemedi. Lütfen cevaplarınızı kontrol edin, sonra “Güvenle gönder” düğmesine yeniden basın.
problem-used = Bu sayfadan zaten bir mesaj gönderildi, yani mesajınız büyük olasılıkla ulaştı. Başka bir mesaj göndermek için cevaplarınızı kontrol edin, sonra “Güvenle gönder” düğmesine yeniden basın.
error-required = Lütfen bu alanı doldurun.
error-checkbox-required = Devam etmek için lütfen bu kutuyu işaretleyin.
error-too-long = Lütfen bunu en fazla { $max } karaktere kısaltın.
error-email = Lütfen isim@example.org gibi bir e-posta adresi yazın ya da bu alanı boş bırakın.
error-tel = Lütfen telefon numarasını yalnızca rakam, boşluk ve + ( ) - kullanarak yazın.
error-select = Lütfen seçeneklerden birini seçin.
error-file-too-large = “{ $name }” çok büyük. Her dosya en fazla { $max } olabilir.
error-too-many-files = En fazla { $max } dosya ekleyebilirsiniz. Lütfen daha az dosya seçin.
error-file-name = Dosyalardan birinin adı kullanılamıyor. Lütfen dosyanın adını değiştirip yeniden ekleyin.
value-yes = Evet
date-placeholder = yyyy-aa-gg
error-date = Lütfen geçerli bir tarihi yıl-ay-gün biçiminde yazın, örneğin 2026-03-31.
error-number = Lütfen yalnızca rakam kullanarak bir tam sayı yazın, örneğin 3.
error-number-range = Lütfen { $min } ile { $max } arasında bir sayı yazın.
error-pattern = Bu cevap beklediğimiz biçimde değil. Lütfen açıklama metnini okuyup yeniden deneyin.
error-choices-required = Lütfen en az birini seçin.

## After sending

sent-title = Mesajınız gönderildi
sent-body = Teşekkür ederiz. Mesajınız güvenle saklanıyor ve yalnızca çalışanlarımızın okuyabileceği şekilde kilitli.
sent-next = Ekibimizden biri, verdiğiniz bilgileri kullanarak sizinle iletişime geçecek. Bu birkaç gün sürebilir. Artık bu sayfayı kapatabilirsiniz.
sent-again = Başka bir mesaj gönder
receipt-title = Takip kodunuz
receipt-intro = Bu rakamları bir yere yazın ve kimsenin göremeyeceği bir yerde saklayın. Bunlarla bu web sitesine geri gelip cevabımızı okuyabilir ve bize yeniden yazabilirsiniz.
receipt-warning = Bu rakamlara sahip olan herkes cevabımızı okuyabilir. Bunları kimseyle paylaşmayın ve başkalarının görebileceği bir yerde tutmayın.
receipt-shown-once = Takip kodunuz yalnızca bir kez, gönderdikten hemen sonraki sayfada gösterildi. Güvenliğiniz için yeniden gösterilmez.
receipt-missing = Bu sefer takip kodu oluşturamadık. İletişim bilgisi verdiyseniz, o bilgileri kullanacağız.
receipt-next = Cevabımızı daha sonra okumak için bu web sitesindeki herhangi bir sayfanın en üstünde “Cevabımızı oku” seçeneğini seçin ve takip kodunuzu yazın.

## Reading an answer

status-title = Cevabımızı oku
status-intro = Mesajınızı gönderdikten sonra not ettiğiniz takip kodunu yazın. Boşluklar ve tireler önemli değildir.
status-receipt-label = Takip kodunuz
status-receipt-help = 25 rakam, beşer rakamlık beş grup halinde.
status-check = Cevabı göster
status-error-length = Takip kodu 25 rakamdan oluşur. Siz { $count } rakam yazdınız.
status-error-characters = Takip kodu yalnızca rakamlardan oluşur. Lütfen yazdığınızı kontrol edin.
status-error-group = Takip kodunuzdaki { $group } numaralı grup yanlış görünüyor. Lütfen bu grubu kontrol edin.
status-not-found-title = Bu takip koduyla bir yazışma bulamadık
status-not-found-body = Lütfen takip kodunu kontrol edip yeniden deneyin. Bir yazışma, siz onu sildiğinizde ya da son mesajdan { $days } gün sonra silinir.
status-busy-title = Lütfen biraz sonra yeniden deneyin
status-busy-body = Şu anda birçok kişi cevapları okuyor. Lütfen bir dakika bekleyin, sonra yeniden deneyin.
conversation-title = Yazışmanız
conversation-read = Ekibimiz mesajınızı aldı.
conversation-unread = Ekibimiz mesajınızı henüz açmadı.
conversation-replies = Cevaplarımız
conversation-no-replies = Henüz cevap yok. Lütfen daha sonra yeniden bakın.
conversation-reply-date = { $date } tarihli cevap
conversation-download = “{ $name }” dosyasını indir
conversation-expires = O zamana kadar kimse yazmazsa bu yazışma { $date } tarihinde silinecek.
conversation-write = Bize yeniden yaz
conversation-message = Mesajınız
conversation-documents = Belgeler
conversation-delete = Bu yazışmayı sil
conversation-delete-intro = Silerseniz, hiç kimse bu takip koduyla cevaplarımızı artık okuyamaz. Daha önce gönderdikleriniz ekibimizde kalır.
conversation-delete-confirm = Anlıyorum. Bu yazışma şimdi silinsin.
conversation-delete-button = Şimdi sil
conversation-deleted-title = Yazışma silindi
conversation-deleted-body = Cevaplarımız artık bu takip koduyla okunamaz.
followup-sent-title = Mesajınız gönderildi
followup-sent-body = Teşekkür ederiz. Cevabımızı daha sonra okumak için takip kodunuzu kullanın.

## Error pages

back-home = Ana sayfaya dön
error-not-found-title = Sayfa bulunamadı
error-not-found-body = Bu adreste bir sayfa yok. Lütfen adresi kontrol edin ya da ana sayfaya dönün.
error-method-title = Bu işlem yapılamıyor
error-method-body = Bu sayfa bu şekilde kullanılamaz. Lütfen ana sayfaya dönün.
error-too-large-title = Mesajınız çok büyük
error-too-large-body = Mesajınız ve belgeleriniz birlikte en fazla { $max } olabilir. Lütfen geri dönün, daha az ya da daha küçük belgeler ekleyin ve yeniden gönderin.
error-rate-title = Lütfen yeniden göndermeden önce bekleyin
error-rate-body = Kısa sürede bağlantınızdan ya da bu hizmete çok sayıda mesaj gönderildi. Lütfen { $minutes } dakika bekleyin, sonra geri dönüp yeniden gönderin. Mesajınız henüz gönderilmedi.
error-full-title = Şu anda mesaj kabul edemiyoruz
error-full-body = Hizmet geçici olarak yeni mesajları saklayamıyor. Mesajınız gönderilmedi. Lütfen daha sonra yeniden deneyin.
error-timeout-title = Gönderme çok uzun sürdü
error-timeout-body = Mesajınız zamanında alınamadı; bağlantı yavaş olduğu için olabilir. Mesajınız gönderilmedi. Lütfen geri dönüp yeniden deneyin; belki daha az belgeyle.
error-bad-request-title = Form okunamadı
error-bad-request-body = Form gönderilirken bir sorun oluştu. Mesajınız gönderilmedi. Lütfen forma geri dönüp yeniden deneyin.
error-unsupported-title = Form okunamadı
error-unsupported-body = Bu tür gönderim desteklenmiyor. Lütfen bu web sitesindeki formu kullanın.
error-internal-title = Bizim tarafımızda bir sorun oluştu
error-internal-body = Mesajınız gönderilmedi. Lütfen birkaç dakika sonra yeniden deneyin.

## The general contact form

form-contact-title = Bize ulaşın
    .intro = Ekibimize bir mesaj gönderin. Cevap almak isterseniz, size nasıl güvenle ulaşabileceğimizi yazın.
field-contact-name = Adınız
    .help = Takma ad kullanabilirsiniz.
field-contact-email = E-posta adresi
    .help = Yalnızca size bu adrese yazmamız güvenliyse.
field-contact-reply = Size ulaşmanın diğer yolları
    .help = Örneğin bir telefon numarası ya da sizi aramanın güvenli olduğu saatler.
field-contact-message = Mesajınız

## Help with an asylum or other protection claim

form-asylum-help-title = Sığınma başvurunuz için ücretsiz hukuki yardım isteyin
    .intro = Sığınma başvurusu ya da başka bir koruma başvurusu için yardıma ihtiyacınız varsa ve avukat ücreti ödeyemiyorsanız, bize durumunuzu anlatın. Hukuk ekibimizden biri yazdıklarınızı okuyacak ve sizinle iletişime geçecek.
field-asylum-help-name = Adınız ya da takma adınız
    .help = Size nasıl hitap edelim?
field-asylum-help-contact_method = Sizinle nasıl iletişime geçelim?
option-asylum-help-contact_method-phone = Telefon araması
option-asylum-help-contact_method-sms = Kısa mesaj (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = E-posta
option-asylum-help-contact_method-other = Başka bir yol (aşağıya yazın)
field-asylum-help-contact = İletişim bilgileriniz
    .help = Telefon numarası, e-posta adresi ya da kullanıcı adı. Sizinle iletişim kurmanın güvenli olmadığı saatler ya da yollar varsa bize bildirin.
field-asylum-help-language = Tercih ettiğiniz dil
    .help = Sizinle konuşmamızı istediğiniz dil. Bir tercüman bulmaya çalışacağız.
field-asylum-help-location = Şu anda neredesiniz?
    .help = Şehir ve ülke. Gözaltında, bir kampta ya da bir barınma merkezindeyseniz lütfen bize bildirin.
fieldset-asylum-help-urgency = Tarihler ve süreler
    .help = Bu tarihler en acil olanı anlamamıza yardım eder. Bilmediğiniz şeyleri boş bırakın.
field-asylum-help-arrived = Bu ülkeye ne zaman geldiniz?
    .help = Günü tam olarak bilmiyorsanız ayın ilk gününü seçin. Bazı ülkelerde sığınma başvurusu, geldikten sonra belli bir süre içinde yapılmalıdır, örneğin bir yıl içinde.
field-asylum-help-claim = Burada daha önce sığınma ya da koruma başvurusu yaptınız mı?
option-asylum-help-claim-no = Henüz yapmadım
option-asylum-help-claim-waiting = Evet, kararı bekliyorum
option-asylum-help-claim-refused = Evet, başvurum reddedildi
option-asylum-help-claim-unsure = Emin değilim
field-asylum-help-next_date = Bir sonraki duruşmanızın, mülakatınızın ya da randevunuzun tarihi
    .help = Yoksa ya da bilmiyorsanız boş bırakın.
field-asylum-help-next_type = Bu randevu ne için?
option-asylum-help-next_type-interview = Sığınma mülakatı
option-asylum-help-next_type-court = Mahkeme duruşması
option-asylum-help-next_type-reporting = Göç idaresine imzaya gitmek
option-asylum-help-next_type-other = Başka bir şey
option-asylum-help-next_type-unsure = Emin değilim
field-asylum-help-decision_date = Bir karar aldıysanız, üzerinde hangi tarih yazıyor?
    .help = İtiraz süresi çoğu zaman kısadır; bazen bu tarihten itibaren yalnızca birkaç gündür.
field-asylum-help-deadline = Başka tarihler ya da süreler
    .help = Örneğin ayrılmanız gereken bir tarih ya da size bir süre veren bir mektup. Biliyorsanız tarihi yazın.
fieldset-asylum-help-situation = Durumunuz
field-asylum-help-detained = Dosyanızdaki kişilerden biri şu anda gözaltında mı?
option-asylum-help-detained-me = Evet, ben
option-asylum-help-detained-family = Evet, ailemden biri
option-asylum-help-detained-no = Hayır
field-asylum-help-family = Dosyanızda sizden başka kimler var?
    .help = Yalnızca sizseniz boş bırakın.
option-asylum-help-family-partner = Eşim ya da partnerim
option-asylum-help-family-children = Çocuklarım
option-asylum-help-family-parents = Annem ya da babam
option-asylum-help-family-other = Diğer akrabalarım
field-asylum-help-people = Siz de dahil, dosyanızda kaç kişi var?
field-asylum-help-message = Ne oldu ve nasıl bir yardıma ihtiyacınız var?
    .help = İstediğiniz dilde yazabilirsiniz. Paylaşırken kendinizi güvende hissettiğiniz kadarını anlatın.
field-asylum-help-documents = Belgeler
    .help = Örneğin bir karar yazısı, mahkemeden gelen bir bildirim ya da kimlik belgeleri. Belgelerin fotoğrafları da olur.
field-asylum-help-consent = Hukuk ekibinin yukarıdaki bilgileri kullanarak benimle iletişime geçmesini kabul ediyorum.
