# sealpost — English catalog. Every other catalog has exactly these message ids.
# Forms: form-<form>-title (.intro), field-<form>-<field> (.help), option-<form>-<field>-<value>.

## Every page

site-title = Secure contact
language-label = Language
skip-link = Skip to the form
privacy-title = What happens to your message
privacy-body = Your message and documents are locked (encrypted) the moment they arrive. Only our staff can unlock them, on their own computers. This website does not record your internet address, and nothing is saved in your browser.
quick-exit = Leave this site quickly
status-link = Read our answer
privacy-notice-link = Our privacy notice

## Front page

index-title = How can we help you?
index-intro = Choose what you would like to do. You can write in any language.

## Forms

required = required
optional = optional
send = Send securely
honeypot-label = Leave this field empty
files-limit = You can attach up to { $count } files, each up to { $size }.
size-mb = { $size } MB
size-kb = { $size } KB
files-not-kept = For your safety, attached documents are not kept when the form is shown again. Please attach them again.
error-summary-title = Please check the form
problem-too-fast = Please check your answers, then press “Send securely” again.
problem-expired = This page was open for a long time. Please check your answers, then press “Send securely” again.
problem-invalid = Your message could not be sent. Please check your answers, then press “Send securely” again.
problem-used = A message was already sent from this page, so yours has probably arrived. To send another one, check your answers, then press “Send securely” again.
error-required = Please fill in this field.
error-checkbox-required = Please tick this box to continue.
error-too-long = Please shorten this to { $max } characters or fewer.
error-email = Please enter an email address like name@example.org, or leave this empty.
error-tel = Please enter a phone number using only digits, spaces and + ( ) - .
error-select = Please choose one of the options.
error-file-too-large = “{ $name }” is too large. Each file can be up to { $max }.
error-too-many-files = You can attach up to { $max } files. Please choose fewer.
error-file-name = One of the files has an unusable name. Please rename it and attach it again.
value-yes = Yes
date-placeholder = yyyy-mm-dd
error-date = Please enter a real date as year-month-day, for example 2026-03-31.
error-number = Please enter a whole number using digits only, for example 3.
error-number-range = Please enter a number from { $min } to { $max }.
error-pattern = This answer is not in the form we expect. Please check the help text and try again.
error-choices-required = Please choose at least one.

## After sending

sent-title = Your message has been sent
sent-body = Thank you. Your message is stored safely and locked so that only our staff can read it.
sent-next = A member of our team will contact you using the details you gave. This can take a few days. You can now close this page.
sent-again = Send another message
receipt-title = Your receipt
receipt-intro = Write down these numbers and keep them hidden. With them you can come back to this website to read our answer and to write to us again.
receipt-warning = Anyone who has these numbers can read our answer. Do not share them, and do not keep them where others can see them.
receipt-shown-once = Your receipt was shown once, on the page right after sending. For your safety it is not shown again.
receipt-missing = We could not make a receipt this time. We will use the contact details you gave, if any.
receipt-next = To read our answer later, choose “Read our answer” at the top of any page of this website and type your receipt.

## Reading an answer

status-title = Read our answer
status-intro = Type the receipt you wrote down after sending your message. Spaces and dashes do not matter.
status-receipt-label = Your receipt
status-receipt-help = 25 digits, in five groups of five.
status-check = Show the answer
status-error-length = A receipt has 25 digits. You typed { $count }.
status-error-characters = A receipt has only digits. Please check what you typed.
status-error-group = Group { $group } of your receipt looks wrong. Please check it.
status-not-found-title = We found no conversation for this receipt
status-not-found-body = Please check the receipt and try again. A conversation is deleted when you delete it, or { $days } days after the last message.
status-busy-title = Please try again in a moment
status-busy-body = Many people are reading answers right now. Please wait a minute, then try again.
conversation-title = Your conversation
conversation-read = Our team has received your message.
conversation-unread = Our team has not opened your message yet.
conversation-replies = Our answers
conversation-no-replies = There is no answer yet. Please come back later.
conversation-reply-date = Answer of { $date }
conversation-download = Download “{ $name }”
conversation-expires = This conversation will be deleted on { $date } if nobody writes before then.
conversation-write = Write to us again
conversation-message = Your message
conversation-documents = Documents
conversation-delete = Delete this conversation
conversation-delete-intro = If you delete it, nobody can read our answers with this receipt any more. What you already sent stays with our team.
conversation-delete-confirm = I understand. Delete this conversation now.
conversation-delete-button = Delete now
conversation-deleted-title = The conversation was deleted
conversation-deleted-body = Our answers can no longer be read with this receipt.
followup-sent-title = Your message has been sent
followup-sent-body = Thank you. Use your receipt to read our answer later.

## Error pages

back-home = Go back to the start page
error-not-found-title = Page not found
error-not-found-body = There is no page at this address. Please check the address or go back to the start page.
error-method-title = This action is not possible
error-method-body = This page cannot be used this way. Please go back to the start page.
error-too-large-title = Your message is too large
error-too-large-body = Your message and documents together can be up to { $max }. Please go back, attach fewer or smaller documents, and send again.
error-rate-title = Please wait before sending again
error-rate-body = Many messages have been sent from your connection or to this service in a short time. Please wait { $minutes } minutes, then go back and send again. Your message has not been sent yet.
error-full-title = We cannot accept messages right now
error-full-body = The service is temporarily unable to store new messages. Your message has not been sent. Please try again later.
error-timeout-title = Sending took too long
error-timeout-body = Your message could not be received in time, perhaps because the connection is slow. It has not been sent. Please go back and try again, perhaps with fewer documents.
error-bad-request-title = The form could not be read
error-bad-request-body = Something went wrong while sending the form. Your message has not been sent. Please go back to the form and try again.
error-unsupported-title = The form could not be read
error-unsupported-body = This kind of request is not supported. Please use the form on this website.
error-internal-title = Something went wrong on our side
error-internal-body = Your message has not been sent. Please try again in a few minutes.

## The general contact form

form-contact-title = Contact us
    .intro = Send a message to our team. Tell us how we can reach you safely if you would like an answer.
field-contact-name = Your name
    .help = You can use a nickname.
field-contact-email = Email address
    .help = Only if it is safe for us to write to you there.
field-contact-reply = Other ways to reach you
    .help = For example a phone number, or the times it is safe to call.
field-contact-message = Your message

## Help with an asylum or other protection claim

form-asylum-help-title = Ask for free legal help with your asylum claim
    .intro = If you need help with an asylum claim or another protection claim and cannot pay a lawyer, tell us about your situation. A member of our legal team will read it and contact you.
field-asylum-help-name = Name or nickname
    .help = What should we call you?
field-asylum-help-contact_method = How should we contact you?
option-asylum-help-contact_method-phone = Phone call
option-asylum-help-contact_method-sms = Text message (SMS)
option-asylum-help-contact_method-whatsapp = WhatsApp
option-asylum-help-contact_method-signal = Signal
option-asylum-help-contact_method-telegram = Telegram
option-asylum-help-contact_method-email = Email
option-asylum-help-contact_method-other = Another way (tell us below)
field-asylum-help-contact = Your contact details
    .help = Phone number, email address or username. Tell us if there are times or ways it is not safe to contact you.
field-asylum-help-language = Your preferred language
    .help = The language you would like us to use. We will try to find an interpreter.
field-asylum-help-location = Where are you now?
    .help = City and country. If you are in detention, a camp or a shelter, please tell us.
fieldset-asylum-help-urgency = Dates and deadlines
    .help = These dates tell us what is most urgent. Leave out anything you do not know.
field-asylum-help-arrived = When did you arrive in this country?
    .help = If you do not know the exact day, choose the first day of the month. In some countries an asylum claim must be made within a time limit after arriving, for example one year.
field-asylum-help-claim = Have you already applied for asylum or protection here?
option-asylum-help-claim-no = Not yet
option-asylum-help-claim-waiting = Yes, and I am waiting for a decision
option-asylum-help-claim-refused = Yes, and my claim was refused
option-asylum-help-claim-unsure = I am not sure
field-asylum-help-next_date = Date of your next hearing, interview or appointment
    .help = Leave this empty if you have none or do not know.
field-asylum-help-next_type = What is that appointment?
option-asylum-help-next_type-interview = An asylum interview
option-asylum-help-next_type-court = A court hearing
option-asylum-help-next_type-reporting = Reporting to the immigration authorities
option-asylum-help-next_type-other = Something else
option-asylum-help-next_type-unsure = I am not sure
field-asylum-help-decision_date = If you received a decision, what date is written on it?
    .help = The time to appeal is often short, sometimes only a few days from this date.
field-asylum-help-deadline = Any other dates or deadlines
    .help = For example a date you must leave, or a letter that gives you a deadline. Write the date if you know it.
fieldset-asylum-help-situation = Your situation
field-asylum-help-detained = Is anyone in your case in detention now?
option-asylum-help-detained-me = Yes, I am
option-asylum-help-detained-family = Yes, someone in my family
option-asylum-help-detained-no = No
field-asylum-help-family = Who else is part of your case?
    .help = Leave this empty if it is only you.
option-asylum-help-family-partner = Husband, wife or partner
option-asylum-help-family-children = Children
option-asylum-help-family-parents = Parents
option-asylum-help-family-other = Other relatives
field-asylum-help-people = How many people are in your case, counting you?
field-asylum-help-message = What happened, and what help do you need?
    .help = You can write in any language. Tell us as much as you feel safe to share.
field-asylum-help-documents = Documents
    .help = For example a decision letter, a court notice or identity papers. Photos of documents are fine.
field-asylum-help-consent = I agree that the legal team may contact me using the details above.
