# sealpost — Simplified Chinese catalog (简体中文). Exactly the message ids of en.ftl; polite 您.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.
# Chinese nouns do not change with a number, so no plural selectors are needed.

## Every page

site-title = 安全联系
language-label = 语言
skip-link = 跳到表单
privacy-title = 您的留言会怎样处理
privacy-body = 您的留言和文件一送达就会被锁住（加密）。只有我们的工作人员能打开它们，而且是在他们自己的电脑上。本网站不会记录您的网络地址，也不会在您的浏览器里保存任何东西。
quick-exit = 快速离开本网站
status-link = 查看我们的回复
privacy-notice-link = 我们的隐私声明

## Front page

index-title = 我们可以怎样帮助您？
index-intro = 请选择您想做的事。您可以用任何语言书写。

## Forms

required = 必填
optional = 选填
send = 安全发送
honeypot-label = 请不要填写此栏
files-limit = 您最多可以附上 { $count } 个文件，每个文件不超过 { $size }。
size-mb = { $size } MB
size-kb = { $size } KB
files-not-kept = 为了您的安全，表单重新显示时，已附上的文件不会保留。请重新附上。
error-summary-title = 请检查表单
problem-too-fast = 请检查您的回答，然后再次点击“安全发送”。
problem-expired = 这个页面打开的时间太长了。请检查您的回答，然后再次点击“安全发送”。
problem-invalid = 您的留言没能发送。请检查您的回答，然后再次点击“安全发送”。
problem-used = 此页面已经发送过一条留言，您的留言很可能已经送达。如需再发送一条，请检查您的回答，然后再次点击“安全发送”。
error-required = 请填写此栏。
error-checkbox-required = 请勾选此框才能继续。
error-too-long = 请把内容缩短到 { $max } 个字符以内。
error-email = 请输入电子邮件地址，例如 name@example.org，或者留空。
error-tel = 请输入电话号码，只能使用数字、空格以及 + ( ) - 这些符号。
error-select = 请选择一个选项。
error-file-too-large = “{ $name }”太大了。每个文件最大为 { $max }。
error-too-many-files = 您最多可以附上 { $max } 个文件。请少选一些。
error-file-name = 有一个文件的名称无法使用。请给它改名后重新附上。
value-yes = 是
date-placeholder = 年-月-日
error-date = 请按“年-月-日”的顺序填写一个真实的日期，例如 2026-03-31。
error-number = 请只用数字填写一个整数，例如 3。
error-number-range = 请填写 { $min } 到 { $max } 之间的数字。
error-pattern = 这个回答的格式和我们需要的不一样。请看一下说明文字，然后再试一次。
error-choices-required = 请至少选择一项。

## After sending

sent-title = 您的留言已发送
sent-body = 谢谢。您的留言已安全保存并锁住，只有我们的工作人员能够阅读。
sent-next = 我们团队的一位成员会通过您提供的联系方式与您联系。这可能需要几天时间。您现在可以关闭此页面。
sent-again = 再发一条留言
receipt-title = 您的查询码
receipt-intro = 请把这些数字抄下来，并藏好。凭这些数字，您可以回到本网站查看我们的回复，也可以再给我们留言。
receipt-warning = 任何人只要有这些数字，就能看到我们的回复。请不要告诉别人，也不要放在别人能看到的地方。
receipt-shown-once = 您的查询码只显示过一次，就在发送后马上出现的那个页面上。为了您的安全，它不会再显示。
receipt-missing = 这次我们没能生成查询码。如果您留下了联系方式，我们会用它与您联系。
receipt-next = 以后想查看我们的回复，请在本网站任何页面的顶部点击“查看我们的回复”，然后输入您的查询码。

## Reading an answer

status-title = 查看我们的回复
status-intro = 请输入您发送留言后抄下的查询码。有没有空格或短横线都没关系。
status-receipt-label = 您的查询码
status-receipt-help = 25 位数字，分为五组，每组五位。
status-check = 显示回复
status-error-length = 查询码共有 25 位数字。您输入了 { $count } 位。
status-error-characters = 查询码只包含数字。请检查您输入的内容。
status-error-group = 您的查询码第 { $group } 组好像不对。请检查一下。
status-not-found-title = 找不到与这个查询码对应的对话
status-not-found-body = 请检查查询码，然后再试一次。对话会在您删除时被删除，或者在最后一条留言的 { $days } 天后被删除。
status-busy-title = 请稍后再试
status-busy-body = 现在有很多人在查看回复。请等一分钟，然后再试一次。
conversation-title = 您的对话
conversation-read = 我们的团队已经收到您的留言。
conversation-unread = 我们的团队还没有打开您的留言。
conversation-replies = 我们的回复
conversation-no-replies = 还没有回复。请以后再来看看。
conversation-reply-date = { $date } 的回复
conversation-download = 下载“{ $name }”
conversation-expires = 如果在 { $date } 之前没有人写新留言，这个对话将在那天被删除。
conversation-write = 再给我们留言
conversation-message = 您的留言
conversation-documents = 文件
conversation-delete = 删除这个对话
conversation-delete-intro = 删除后，任何人都不能再用这个查询码查看我们的回复。您已经发送的内容仍会留在我们团队那里。
conversation-delete-confirm = 我明白。我要现在删除这个对话。
conversation-delete-button = 立即删除
conversation-deleted-title = 对话已删除
conversation-deleted-body = 已经不能再用这个查询码查看我们的回复了。
followup-sent-title = 您的留言已发送
followup-sent-body = 谢谢。以后请用您的查询码查看我们的回复。

## Error pages

back-home = 返回首页
error-not-found-title = 找不到页面
error-not-found-body = 这个地址没有页面。请检查地址，或返回首页。
error-method-title = 无法进行此操作
error-method-body = 此页面不能这样使用。请返回首页。
error-too-large-title = 您的留言太大了
error-too-large-body = 您的留言和文件加起来最多为 { $max }。请返回上一页，附上更少或更小的文件，然后重新发送。
error-rate-title = 请稍等再发送
error-rate-body = 短时间内从您的网络连接或向本服务发送了很多留言。请等待 { $minutes } 分钟，然后返回并重新发送。您的留言尚未发送。
error-full-title = 我们现在无法接收留言
error-full-body = 本服务暂时无法保存新的留言。您的留言没有发送。请稍后再试。
error-timeout-title = 发送时间过长
error-timeout-body = 我们没能及时收到您的留言，可能是因为网络连接较慢。留言没有发送。请返回并重试，也许可以少附一些文件。
error-bad-request-title = 无法读取表单
error-bad-request-body = 发送表单时出了问题。您的留言没有发送。请返回表单再试一次。
error-unsupported-title = 无法读取表单
error-unsupported-body = 不支持这种发送方式。请使用本网站上的表单。
error-internal-title = 我们这边出了问题
error-internal-body = 您的留言没有发送。请过几分钟再试。

## The general contact form

form-contact-title = 联系我们
    .intro = 给我们的团队发送留言。如果您希望得到回复，请告诉我们怎样可以安全地联系您。
field-contact-name = 您的姓名
    .help = 您可以使用昵称。
field-contact-email = 电子邮件地址
    .help = 只有在我们往这个地址给您写信是安全的情况下才填写。
field-contact-reply = 其他联系方式
    .help = 例如电话号码，或者什么时间给您打电话是安全的。
field-contact-message = 您的留言

## Help with an asylum or other protection claim

form-asylum-help-title = 为您的庇护申请寻求免费法律帮助
    .intro = 如果您在庇护申请或其他保护申请方面需要帮助，而又请不起律师，请告诉我们您的情况。我们法律团队的一位成员会阅读您的留言并联系您。
field-asylum-help-name = 姓名或昵称
    .help = 我们应该怎么称呼您？
field-asylum-help-contact_method = 我们应该怎样联系您？
option-asylum-help-contact_method-phone = 打电话
option-asylum-help-contact_method-sms = 短信（SMS）
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = 电子邮件
option-asylum-help-contact_method-other = 其他方式（请在下面说明）
field-asylum-help-contact = 您的联系方式
    .help = 电话号码、电子邮件地址或用户名。如果在某些时间或用某些方式联系您不安全，请告诉我们。
field-asylum-help-language = 您希望使用的语言
    .help = 您希望我们和您沟通时使用的语言。我们会尽量找到翻译人员。
field-asylum-help-location = 您现在在哪里？
    .help = 城市和国家。如果您正被拘留，或者住在营地或临时住所里，请告诉我们。
fieldset-asylum-help-urgency = 日期和期限
    .help = 这些日期能让我们知道哪件事最紧急。不知道的可以不填。
field-asylum-help-arrived = 您是什么时候来到这个国家的？
    .help = 如果您不知道具体是哪一天，请选择那个月的第一天。在有些国家，到达后必须在一定期限内提出庇护申请，例如一年内。
field-asylum-help-claim = 您已经在这里申请庇护或保护了吗？
option-asylum-help-claim-no = 还没有
option-asylum-help-claim-waiting = 申请了，正在等待决定
option-asylum-help-claim-refused = 申请了，但被拒绝了
option-asylum-help-claim-unsure = 我不确定
field-asylum-help-next_date = 您下一次听证、面谈或其他约见的日期
    .help = 如果没有或不知道，请留空。
field-asylum-help-next_type = 那是什么约见？
option-asylum-help-next_type-interview = 庇护面谈
option-asylum-help-next_type-court = 法庭听证
option-asylum-help-next_type-reporting = 去移民部门报到
option-asylum-help-next_type-other = 其他事情
option-asylum-help-next_type-unsure = 我不确定
field-asylum-help-decision_date = 如果您收到了决定书，上面写的是哪一天？
    .help = 上诉的时间通常很短，有时从这个日期算起只有几天。
field-asylum-help-deadline = 其他日期或期限
    .help = 例如您必须离开的日期，或者某封信给您定下的期限。如果知道日期，请写下来。
fieldset-asylum-help-situation = 您的情况
field-asylum-help-detained = 您的案件里现在有人被拘留吗？
option-asylum-help-detained-me = 有，是我
option-asylum-help-detained-family = 有，是我的家人
option-asylum-help-detained-no = 没有
field-asylum-help-family = 您的案件里还有谁？
    .help = 如果只有您一个人，请留空。
option-asylum-help-family-partner = 丈夫、妻子或伴侣
option-asylum-help-family-children = 子女
option-asylum-help-family-parents = 父母
option-asylum-help-family-other = 其他亲属
field-asylum-help-people = 您的案件一共有几个人（包括您自己）？
field-asylum-help-message = 发生了什么事？您需要什么帮助？
    .help = 您可以用任何语言书写。在您觉得安全的范围内，尽量多告诉我们。
field-asylum-help-documents = 文件
    .help = 例如决定书、法院通知或身份证件。文件的照片也可以。
field-asylum-help-consent = 我同意法律团队使用上面的联系方式与我联系。
