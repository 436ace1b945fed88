"""Word lists and texts of the demo help desk: names, comments and subjects in 20 locales.

Category positions everywhere follow :data:`CATEGORIES`. Customer texts may use ``{asset}``,
``{amount}`` and ``{currency}``; agent greetings use ``{name}``.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("verification", "Verification"),
    ("general_questions", "General Questions"),
    ("fiat_funding", "Fiat Funding"),
    ("account_access", "Account Access"),
    ("crypto_funding", "Crypto Funding"),
    ("trading", "Trading"),
)
"""(option value, display name) of the ticket categories, in order of volume."""


class Texts(NamedTuple):
    """What customers and agents write in one language."""

    hi: str
    subjects: tuple[str, str, str, str, str, str]
    issues: tuple[str, str, str, str, str, str]
    follow: tuple[str, str, str]
    agent_hi: str
    agent: tuple[str, str, str]
    sign: str
    good: str
    bad: str


class Locale(NamedTuple):
    """A customer locale: share of customers, names, time zones, phone prefix, texts."""

    code: str
    option: str
    title: str
    weight: float
    time_zones: tuple[str, ...]
    phone: str
    currency: str
    family_first: bool
    separator: str
    first: tuple[tuple[str, str, str], ...]
    """(native, latin, gender) of given names."""
    last: tuple[tuple[str, str, str, str], ...]
    """(native male, native female, latin male, latin female) of family names."""
    texts: Texts


_FOLD = str.maketrans(
    {"ß": "ss", "ł": "l", "Ł": "L", "ı": "i", "đ": "d", "Đ": "D", "ø": "o", "'": "", " ": ""}
)


def latin(text: str) -> str:
    """ASCII form of a Latin-script name, for e-mail addresses."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c in ".-"))


def _given(spec: str) -> tuple[tuple[str, str, str], ...]:
    """``"Name:g Name2|Latin:g"`` → (native, latin, gender) tuples."""
    out = []
    for item in spec.split():
        name, gender = item.rsplit(":", 1)
        native, _, roman = name.partition("|")
        out.append((native.replace("_", " "), roman or latin(native), gender))
    return tuple(out)


def _family(spec: str) -> tuple[tuple[str, str, str, str], ...]:
    """``"Name Male/Female|LatinM/LatinF"`` → (native m, native f, latin m, latin f) tuples."""
    out = []
    for item in spec.split():
        native, _, roman = item.partition("|")
        nm, _, nf = native.replace("_", " ").partition("/")
        rm, _, rf = roman.partition("/")
        rm = rm or latin(nm)
        rf = rf or (latin(nf) if nf else rm)
        out.append((nm, nf or nm, rm, rf))
    return tuple(out)


_EN = Texts(
    hi="Hello,",
    subjects=(
        "Identity verification still pending",
        "Question about trading fees",
        "Bank transfer not credited",
        "Cannot log in to my account",
        "{asset} deposit has not arrived",
        "Order executed at a wrong price?",
    ),
    issues=(
        "I uploaded my passport and a selfie several days ago, but my verification is still"
        " pending. Could you please check my application?",
        "Could you explain how the trading fees are calculated and whether there is a discount"
        " for higher volumes?",
        "I sent {amount} {currency} by bank transfer two days ago, but the money has not been"
        " credited to my account yet.",
        "I can't log in to my account: the two-factor code is always rejected and I no longer"
        " have access to my old phone.",
        "I made a {asset} deposit more than six hours ago. The transaction is confirmed on the"
        " blockchain, but my balance has not been updated.",
        "My {asset} limit order was filled at a price that I did not expect. Could you please"
        " check what happened?",
    ),
    follow=(
        "Here is the information you asked for.",
        "Is there any update on my request? It has been a while.",
        "I tried that, but it still does not work.",
    ),
    agent_hi="Hi {name},",
    agent=(
        "Thank you for contacting us. We have received your request and a specialist is"
        " looking into it.",
        "Could you please send us a screenshot and the transaction ID so that we can"
        " investigate further?",
        "Good news: the issue has been resolved on our side. Please let us know if there is"
        " anything else we can help with.",
    ),
    sign="Kind regards,",
    good="Quick and helpful, thank you!",
    bad="It took far too long and my problem is still not solved.",
)

_TEXTS: dict[str, Texts] = {
    "en": _EN,
    "de": Texts(
        hi="Hallo,",
        subjects=(
            "Identitätsprüfung noch ausstehend",
            "Frage zu den Handelsgebühren",
            "Banküberweisung nicht gutgeschrieben",
            "Kein Zugriff auf mein Konto",
            "{asset}-Einzahlung nicht angekommen",
            "Order zu einem falschen Preis ausgeführt?",
        ),
        issues=(
            "Ich habe vor einigen Tagen meinen Reisepass und ein Selfie hochgeladen, aber meine"
            " Verifizierung ist immer noch ausstehend. Könnten Sie bitte meinen Antrag prüfen?",
            "Können Sie mir erklären, wie die Handelsgebühren berechnet werden und ob es Rabatte"
            " für höhere Volumen gibt?",
            "Ich habe vor zwei Tagen {amount} {currency} per Überweisung gesendet, aber das Geld"
            " wurde meinem Konto noch nicht gutgeschrieben.",
            "Ich kann mich nicht mehr anmelden: Der Zwei-Faktor-Code wird immer abgelehnt und ich"
            " habe keinen Zugriff mehr auf mein altes Handy.",
            "Ich habe vor über sechs Stunden {asset} eingezahlt. Die Transaktion ist auf der"
            " Blockchain bestätigt, aber mein Guthaben wurde nicht aktualisiert.",
            "Meine {asset}-Limit-Order wurde zu einem Preis ausgeführt, den ich nicht erwartet"
            " habe. Können Sie bitte prüfen, was passiert ist?",
        ),
        follow=(
            "Anbei die gewünschten Informationen.",
            "Gibt es schon Neuigkeiten zu meiner Anfrage?",
            "Das habe ich versucht, aber es funktioniert immer noch nicht.",
        ),
        agent_hi="Hallo {name},",
        agent=(
            "vielen Dank für Ihre Nachricht. Wir haben Ihre Anfrage erhalten und ein Spezialist"
            " kümmert sich darum.",
            "könnten Sie uns bitte einen Screenshot und die Transaktions-ID senden, damit wir"
            " den Fall weiter prüfen können?",
            "gute Nachrichten: Das Problem wurde auf unserer Seite behoben. Melden Sie sich gern,"
            " wenn wir sonst noch helfen können.",
        ),
        sign="Viele Grüße",
        good="Schnell und hilfreich, danke!",
        bad="Es hat viel zu lange gedauert und mein Problem ist immer noch nicht gelöst.",
    ),
    "fr": Texts(
        hi="Bonjour,",
        subjects=(
            "Vérification d'identité toujours en attente",
            "Question sur les frais de trading",
            "Virement bancaire non crédité",
            "Impossible d'accéder à mon compte",
            "Dépôt de {asset} non reçu",
            "Ordre exécuté à un mauvais prix ?",
        ),
        issues=(
            "J'ai envoyé mon passeport et un selfie il y a plusieurs jours, mais ma vérification"
            " est toujours en attente. Pourriez-vous vérifier mon dossier ?",
            "Pourriez-vous m'expliquer comment sont calculés les frais de trading et s'il existe"
            " une réduction pour les volumes importants ?",
            "J'ai envoyé {amount} {currency} par virement il y a deux jours, mais l'argent n'a"
            " toujours pas été crédité sur mon compte.",
            "Je n'arrive pas à me connecter : le code à deux facteurs est toujours refusé et je"
            " n'ai plus accès à mon ancien téléphone.",
            "J'ai effectué un dépôt de {asset} il y a plus de six heures. La transaction est"
            " confirmée sur la blockchain, mais mon solde n'a pas été mis à jour.",
            "Mon ordre limite sur {asset} a été exécuté à un prix inattendu. Pourriez-vous"
            " vérifier ce qui s'est passé ?",
        ),
        follow=(
            "Voici les informations demandées.",
            "Avez-vous du nouveau concernant ma demande ?",
            "J'ai essayé, mais cela ne fonctionne toujours pas.",
        ),
        agent_hi="Bonjour {name},",
        agent=(
            "Merci de nous avoir contactés. Nous avons bien reçu votre demande et un spécialiste"
            " s'en occupe.",
            "Pourriez-vous nous envoyer une capture d'écran ainsi que l'identifiant de la"
            " transaction afin que nous puissions poursuivre l'analyse ?",
            "Bonne nouvelle : le problème a été résolu de notre côté. N'hésitez pas à nous"
            " contacter si vous avez d'autres questions.",
        ),
        sign="Cordialement,",
        good="Rapide et efficace, merci !",
        bad="Cela a pris beaucoup trop de temps et mon problème n'est toujours pas résolu.",
    ),
    "es": Texts(
        hi="Hola:",
        subjects=(
            "Verificación de identidad pendiente",
            "Pregunta sobre las comisiones de trading",
            "Transferencia bancaria no acreditada",
            "No puedo acceder a mi cuenta",
            "Depósito de {asset} no recibido",
            "¿Orden ejecutada a un precio incorrecto?",
        ),
        issues=(
            "Subí mi pasaporte y un selfie hace varios días, pero mi verificación sigue"
            " pendiente. ¿Podrían revisar mi solicitud, por favor?",
            "¿Podrían explicarme cómo se calculan las comisiones de trading y si hay descuentos"
            " por mayor volumen?",
            "Hace dos días envié {amount} {currency} por transferencia bancaria, pero el dinero"
            " todavía no se ha acreditado en mi cuenta.",
            "No puedo iniciar sesión: el código de doble factor siempre es rechazado y ya no"
            " tengo acceso a mi teléfono anterior.",
            "Hice un depósito de {asset} hace más de seis horas. La transacción está confirmada"
            " en la blockchain, pero mi saldo no se ha actualizado.",
            "Mi orden límite de {asset} se ejecutó a un precio que no esperaba. ¿Podrían revisar"
            " qué ocurrió?",
        ),
        follow=(
            "Aquí tienen la información que me pidieron.",
            "¿Hay alguna novedad sobre mi solicitud?",
            "Lo he intentado, pero sigue sin funcionar.",
        ),
        agent_hi="Hola, {name}:",
        agent=(
            "Gracias por contactarnos. Hemos recibido su solicitud y un especialista la está"
            " revisando.",
            "¿Podría enviarnos una captura de pantalla y el ID de la transacción para que"
            " podamos seguir investigando?",
            "Buenas noticias: el problema se ha resuelto por nuestra parte. Díganos si podemos"
            " ayudarle en algo más.",
        ),
        sign="Saludos cordiales,",
        good="¡Rápido y útil, gracias!",
        bad="Tardaron demasiado y mi problema sigue sin resolverse.",
    ),
    "it": Texts(
        hi="Buongiorno,",
        subjects=(
            "Verifica dell'identità ancora in sospeso",
            "Domanda sulle commissioni di trading",
            "Bonifico non accreditato",
            "Non riesco ad accedere al mio account",
            "Deposito di {asset} non arrivato",
            "Ordine eseguito a un prezzo sbagliato?",
        ),
        issues=(
            "Ho caricato il passaporto e un selfie diversi giorni fa, ma la mia verifica è"
            " ancora in sospeso. Potreste controllare la mia richiesta?",
            "Potreste spiegarmi come vengono calcolate le commissioni di trading e se ci sono"
            " sconti per volumi più alti?",
            "Due giorni fa ho inviato {amount} {currency} tramite bonifico, ma il denaro non è"
            " ancora stato accreditato sul mio conto.",
            "Non riesco ad accedere: il codice di autenticazione a due fattori viene sempre"
            " rifiutato e non ho più il mio vecchio telefono.",
            "Ho effettuato un deposito di {asset} più di sei ore fa. La transazione è confermata"
            " sulla blockchain, ma il mio saldo non è stato aggiornato.",
            "Il mio ordine limite su {asset} è stato eseguito a un prezzo che non mi aspettavo."
            " Potreste verificare cosa è successo?",
        ),
        follow=(
            "Ecco le informazioni richieste.",
            "Ci sono novità sulla mia richiesta?",
            "Ho provato, ma continua a non funzionare.",
        ),
        agent_hi="Gentile {name},",
        agent=(
            "grazie per averci contattato. Abbiamo ricevuto la sua richiesta e uno specialista"
            " la sta esaminando.",
            "potrebbe inviarci uno screenshot e l'ID della transazione, così da poter"
            " approfondire?",
            "buone notizie: il problema è stato risolto. Ci contatti pure se possiamo aiutarla"
            " in altro.",
        ),
        sign="Cordiali saluti,",
        good="Veloci e disponibili, grazie!",
        bad="Ci è voluto troppo tempo e il mio problema non è ancora risolto.",
    ),
    "pt-BR": Texts(
        hi="Olá,",
        subjects=(
            "Verificação de identidade ainda pendente",
            "Dúvida sobre as taxas de negociação",
            "Depósito via PIX não creditado",
            "Não consigo acessar minha conta",
            "Depósito de {asset} não chegou",
            "Ordem executada com preço errado?",
        ),
        issues=(
            "Enviei meu passaporte e uma selfie há vários dias, mas minha verificação continua"
            " pendente. Vocês podem verificar meu cadastro?",
            "Vocês podem explicar como as taxas de negociação são calculadas e se há desconto"
            " para volumes maiores?",
            "Fiz um depósito de {amount} {currency} via PIX há dois dias, mas o valor ainda não"
            " foi creditado na minha conta.",
            "Não consigo entrar na minha conta: o código de dois fatores é sempre recusado e não"
            " tenho mais acesso ao meu celular antigo.",
            "Fiz um depósito de {asset} há mais de seis horas. A transação está confirmada na"
            " blockchain, mas meu saldo não foi atualizado.",
            "Minha ordem limitada de {asset} foi executada a um preço que eu não esperava. Podem"
            " verificar o que aconteceu?",
        ),
        follow=(
            "Seguem as informações solicitadas.",
            "Alguma novidade sobre a minha solicitação?",
            "Tentei, mas continua sem funcionar.",
        ),
        agent_hi="Olá, {name},",
        agent=(
            "Obrigado por entrar em contato. Recebemos sua solicitação e um especialista já está"
            " analisando.",
            "Você poderia nos enviar uma captura de tela e o ID da transação para continuarmos a"
            " análise?",
            "Boa notícia: o problema foi resolvido do nosso lado. Conte com a gente se precisar"
            " de mais alguma coisa.",
        ),
        sign="Atenciosamente,",
        good="Atendimento rápido e eficiente, obrigado!",
        bad="Demorou demais e meu problema ainda não foi resolvido.",
    ),
    "ru": Texts(
        hi="Здравствуйте!",
        subjects=(
            "Верификация личности всё ещё на проверке",
            "Вопрос о торговых комиссиях",
            "Банковский перевод не зачислен",
            "Не могу войти в аккаунт",
            "Депозит {asset} не поступил",
            "Ордер исполнен по неверной цене?",
        ),
        issues=(
            "Несколько дней назад были загружены мой паспорт и селфи, но верификация всё ещё не"
            " пройдена. Проверьте, пожалуйста, мою заявку.",
            "Объясните, пожалуйста, как рассчитываются торговые комиссии и есть ли скидки при"
            " больших объёмах?",
            "Перевод на {amount} {currency} был отправлен два дня назад, но деньги до сих пор не"
            " зачислены на мой счёт.",
            "Не могу войти в аккаунт: код двухфакторной аутентификации всё время отклоняется, а"
            " доступа к старому телефону у меня больше нет.",
            "Депозит {asset} был отправлен более шести часов назад. Транзакция подтверждена в"
            " блокчейне, но баланс не обновился.",
            "Мой лимитный ордер по {asset} исполнился по неожиданной цене. Проверьте,"
            " пожалуйста, что произошло.",
        ),
        follow=(
            "Отправляю запрошенную информацию.",
            "Есть ли новости по моему обращению?",
            "Сделал(а) всё по инструкции, но всё равно не работает.",
        ),
        agent_hi="Здравствуйте, {name}!",
        agent=(
            "Спасибо за обращение. Мы получили ваш запрос, и специалист уже занимается им.",
            "Пришлите, пожалуйста, скриншот и идентификатор транзакции, чтобы мы могли"
            " продолжить проверку.",
            "Хорошие новости: проблема решена с нашей стороны. Если понадобится помощь, пишите"
            " нам.",
        ),
        sign="С уважением,",
        good="Быстро и по делу, спасибо!",
        bad="Слишком долго, и моя проблема так и не решена.",
    ),
    "uk": Texts(
        hi="Добрий день!",
        subjects=(
            "Верифікація особи досі на перевірці",
            "Питання щодо торгових комісій",
            "Банківський переказ не зараховано",
            "Не можу увійти в акаунт",
            "Депозит {asset} не надійшов",
            "Ордер виконано за неправильною ціною?",
        ),
        issues=(
            "Кілька днів тому я завантажив(ла) паспорт і селфі, але верифікація досі на"
            " перевірці. Перевірте, будь ласка, мою заявку.",
            "Поясніть, будь ласка, як розраховуються торгові комісії та чи є знижки для великих"
            " обсягів?",
            "Переказ на {amount} {currency} було надіслано два дні тому, але кошти досі не"
            " зараховано на мій рахунок.",
            "Не можу увійти в акаунт: код двофакторної автентифікації постійно відхиляється, а"
            " доступу до старого телефону в мене вже немає.",
            "Депозит {asset} було надіслано понад шість годин тому. Транзакцію підтверджено в"
            " блокчейні, але баланс не оновився.",
            "Мій лімітний ордер по {asset} виконався за неочікуваною ціною. Перевірте, будь"
            " ласка, що сталося.",
        ),
        follow=(
            "Надсилаю запитану інформацію.",
            "Чи є новини щодо мого звернення?",
            "Я спробував(ла), але все одно не працює.",
        ),
        agent_hi="Добрий день, {name}!",
        agent=(
            "Дякуємо за звернення. Ми отримали ваш запит, і фахівець уже ним займається.",
            "Надішліть, будь ласка, скриншот та ідентифікатор транзакції, щоб ми могли"
            " продовжити перевірку.",
            "Гарні новини: проблему вирішено з нашого боку. Якщо потрібна ще допомога, пишіть нам.",
        ),
        sign="З повагою,",
        good="Швидко та корисно, дякую!",
        bad="Це тривало занадто довго, і мою проблему досі не вирішено.",
    ),
    "tr": Texts(
        hi="Merhaba,",
        subjects=(
            "Kimlik doğrulamam hâlâ beklemede",
            "İşlem ücretleri hakkında soru",
            "Banka havalesi hesaba geçmedi",
            "Hesabıma giriş yapamıyorum",
            "{asset} yatırma işlemi ulaşmadı",
            "Emrim yanlış fiyattan mı gerçekleşti?",
        ),
        issues=(
            "Birkaç gün önce pasaportumu ve bir selfie yükledim, ancak doğrulamam hâlâ"
            " beklemede. Başvurumu kontrol edebilir misiniz?",
            "İşlem ücretlerinin nasıl hesaplandığını ve yüksek hacimler için indirim olup"
            " olmadığını açıklayabilir misiniz?",
            "İki gün önce havale ile {amount} {currency} gönderdim, ancak para hâlâ hesabıma"
            " geçmedi.",
            "Hesabıma giriş yapamıyorum: iki aşamalı doğrulama kodu sürekli reddediliyor ve eski"
            " telefonuma artık erişimim yok.",
            "Altı saatten uzun süre önce {asset} yatırdım. İşlem blokzincirde onaylandı, ancak"
            " bakiyem güncellenmedi.",
            "{asset} limit emrim beklemediğim bir fiyattan gerçekleşti. Ne olduğunu kontrol"
            " edebilir misiniz?",
        ),
        follow=(
            "İstediğiniz bilgiler ekte.",
            "Talebimle ilgili bir gelişme var mı?",
            "Denedim ama hâlâ çalışmıyor.",
        ),
        agent_hi="Merhaba {name},",
        agent=(
            "Bizimle iletişime geçtiğiniz için teşekkür ederiz. Talebinizi aldık ve bir"
            " uzmanımız inceliyor.",
            "İncelemeye devam edebilmemiz için bize bir ekran görüntüsü ve işlem kimliğini"
            " gönderebilir misiniz?",
            "Güzel haber: sorun bizim tarafımızda çözüldü. Başka bir konuda yardımcı olabilirsek"
            " lütfen bize yazın.",
        ),
        sign="Saygılarımızla,",
        good="Hızlı ve yardımcı oldunuz, teşekkürler!",
        bad="Çok uzun sürdü ve sorunum hâlâ çözülmedi.",
    ),
    "pl": Texts(
        hi="Dzień dobry,",
        subjects=(
            "Weryfikacja tożsamości wciąż w toku",
            "Pytanie o opłaty transakcyjne",
            "Przelew bankowy nie został zaksięgowany",
            "Nie mogę zalogować się na konto",
            "Wpłata {asset} nie dotarła",
            "Zlecenie zrealizowane po złej cenie?",
        ),
        issues=(
            "Kilka dni temu przesłano mój paszport i selfie, ale weryfikacja wciąż jest w toku."
            " Czy mogą Państwo sprawdzić mój wniosek?",
            "Czy mogą Państwo wyjaśnić, jak naliczane są opłaty transakcyjne i czy przy"
            " większych wolumenach przysługują zniżki?",
            "Przelew na kwotę {amount} {currency} został wysłany dwa dni temu, ale środki wciąż"
            " nie są widoczne na moim koncie.",
            "Nie mogę się zalogować: kod uwierzytelniania dwuskładnikowego jest ciągle"
            " odrzucany, a nie mam już dostępu do starego telefonu.",
            "Wpłata {asset} została wysłana ponad sześć godzin temu. Transakcja jest"
            " potwierdzona w blockchainie, ale saldo się nie zaktualizowało.",
            "Moje zlecenie z limitem na {asset} zostało zrealizowane po nieoczekiwanej cenie."
            " Czy mogą Państwo sprawdzić, co się stało?",
        ),
        follow=(
            "Przesyłam informacje, o które Państwo prosili.",
            "Czy są jakieś nowe informacje w mojej sprawie?",
            "Niestety nadal nie działa, mimo kilku prób.",
        ),
        agent_hi="Dzień dobry {name},",
        agent=(
            "Dziękujemy za kontakt. Otrzymaliśmy Państwa zgłoszenie i nasz specjalista już się"
            " nim zajmuje.",
            "Czy mogą Państwo przesłać zrzut ekranu oraz identyfikator transakcji, abyśmy mogli"
            " kontynuować weryfikację?",
            "Dobra wiadomość: problem został rozwiązany po naszej stronie. W razie dalszych"
            " pytań prosimy o kontakt.",
        ),
        sign="Z poważaniem,",
        good="Szybko i konkretnie, dziękuję!",
        bad="Trwało to zdecydowanie za długo, a mój problem nadal nie jest rozwiązany.",
    ),
    "nl": Texts(
        hi="Hallo,",
        subjects=(
            "Identiteitsverificatie nog in behandeling",
            "Vraag over handelskosten",
            "Bankoverschrijving niet bijgeschreven",
            "Ik kan niet inloggen op mijn account",
            "{asset}-storting niet ontvangen",
            "Order uitgevoerd tegen een verkeerde prijs?",
        ),
        issues=(
            "Ik heb een paar dagen geleden mijn paspoort en een selfie geüpload, maar mijn"
            " verificatie is nog steeds in behandeling. Kunt u mijn aanvraag controleren?",
            "Kunt u uitleggen hoe de handelskosten worden berekend en of er korting is bij"
            " hogere volumes?",
            "Ik heb twee dagen geleden {amount} {currency} overgemaakt, maar het geld is nog"
            " niet bijgeschreven op mijn account.",
            "Ik kan niet inloggen: de tweestapsverificatiecode wordt steeds geweigerd en ik heb"
            " geen toegang meer tot mijn oude telefoon.",
            "Ik heb meer dan zes uur geleden {asset} gestort. De transactie is bevestigd op de"
            " blockchain, maar mijn saldo is niet bijgewerkt.",
            "Mijn limietorder voor {asset} is uitgevoerd tegen een prijs die ik niet had"
            " verwacht. Kunt u nagaan wat er is gebeurd?",
        ),
        follow=(
            "Hierbij de gevraagde informatie.",
            "Is er al nieuws over mijn verzoek?",
            "Ik heb het geprobeerd, maar het werkt nog steeds niet.",
        ),
        agent_hi="Beste {name},",
        agent=(
            "Bedankt voor uw bericht. We hebben uw verzoek ontvangen en een specialist kijkt"
            " ernaar.",
            "Kunt u ons een screenshot en de transactie-ID sturen, zodat we verder kunnen"
            " onderzoeken?",
            "Goed nieuws: het probleem is aan onze kant opgelost. Laat het ons weten als we u"
            " nog ergens mee kunnen helpen.",
        ),
        sign="Met vriendelijke groet,",
        good="Snel en behulpzaam, bedankt!",
        bad="Het duurde veel te lang en mijn probleem is nog steeds niet opgelost.",
    ),
    "ja": Texts(
        hi="お世話になっております。",
        subjects=(
            "本人確認がまだ完了しません",
            "取引手数料について",
            "銀行振込が反映されません",
            "アカウントにログインできません",
            "{asset}の入金が反映されません",
            "注文が想定外の価格で約定しました",
        ),
        issues=(
            "数日前にパスポートとセルフィーを提出しましたが、本人確認がまだ審査中のままです。"
            "申請状況をご確認いただけますか。",
            "取引手数料の計算方法と、取引量が多い場合の割引があるか教えてください。",
            "2日前に{amount}円を銀行振込で送金しましたが、まだ口座に反映されていません。",
            "ログインできません。二段階認証のコードが毎回拒否され、以前のスマートフォンも手元に"
            "ありません。",
            "6時間以上前に{asset}を入金しました。ブロックチェーン上では承認済みですが、残高が"
            "更新されていません。",
            "{asset}の指値注文が想定外の価格で約定しました。何が起きたのか確認していただけますか。",
        ),
        follow=(
            "ご依頼の情報をお送りします。",
            "その後、進捗はいかがでしょうか。",
            "試してみましたが、まだうまくいきません。",
        ),
        agent_hi="{name} 様",
        agent=(
            "お問い合わせいただきありがとうございます。ご依頼を承り、担当者が確認しております。",
            "調査を進めるため、スクリーンショットとトランザクションIDをお送りいただけますでしょ"
            "うか。",
            "問題は弊社側で解決いたしました。ほかにご不明な点がございましたらお気軽にご連絡くだ"
            "さい。",
        ),
        sign="よろしくお願いいたします。",
        good="迅速で丁寧な対応、ありがとうございました！",
        bad="対応に時間がかかりすぎ、問題もまだ解決していません。",
    ),
    "ko": Texts(
        hi="안녕하세요.",
        subjects=(
            "신원 인증이 아직 심사 중입니다",
            "거래 수수료 문의",
            "은행 송금이 입금되지 않았습니다",
            "계정에 로그인할 수 없습니다",
            "{asset} 입금이 반영되지 않았습니다",
            "주문이 잘못된 가격에 체결되었나요?",
        ),
        issues=(
            "며칠 전에 여권과 셀카를 제출했는데 인증이 아직 심사 중입니다. 신청 내역을 확인해"
            " 주시겠어요?",
            "거래 수수료가 어떻게 계산되는지, 거래량이 많으면 할인이 있는지 알려 주세요.",
            "이틀 전에 {amount} {currency}를 은행 송금으로 보냈는데 아직 계정에 입금되지"
            " 않았습니다.",
            "로그인이 안 됩니다. 2단계 인증 코드가 계속 거부되고 예전 휴대폰도 더 이상 없습니다.",
            "6시간도 더 전에 {asset}을(를) 입금했습니다. 블록체인에서는 확인되었지만 잔고가"
            " 업데이트되지 않았습니다.",
            "{asset} 지정가 주문이 예상하지 못한 가격에 체결되었습니다. 무슨 일이 있었는지"
            " 확인해 주세요.",
        ),
        follow=(
            "요청하신 정보를 보내드립니다.",
            "제 문의에 대해 진행 상황이 있나요?",
            "해 봤는데 여전히 안 됩니다.",
        ),
        agent_hi="{name} 님, 안녕하세요.",
        agent=(
            "문의해 주셔서 감사합니다. 요청을 접수했으며 담당자가 확인하고 있습니다.",
            "추가 확인을 위해 스크린샷과 거래 ID를 보내 주시겠어요?",
            "문제가 저희 쪽에서 해결되었습니다. 더 도와드릴 일이 있으면 언제든지 연락해 주세요.",
        ),
        sign="감사합니다.",
        good="빠르고 친절한 답변 감사합니다!",
        bad="너무 오래 걸렸고 문제가 아직 해결되지 않았습니다.",
    ),
    "zh-CN": Texts(
        hi="您好，",
        subjects=(
            "身份认证一直在审核中",
            "关于交易手续费的问题",
            "银行转账未到账",
            "无法登录我的账户",
            "{asset} 充值未到账",
            "订单成交价格异常？",
        ),
        issues=(
            "我几天前上传了护照和自拍照，但身份认证一直显示审核中。请帮我查看一下申请进度。",
            "请问交易手续费是如何计算的？交易量大的话有没有优惠？",
            "我两天前通过银行转账汇了 {amount} {currency}，但资金至今仍未到账。",
            "我无法登录账户：双重验证码一直提示错误，而且我已经无法使用原来的手机了。",
            "我在六个多小时前充值了 {asset}，区块链上已经确认，但账户余额仍未更新。",
            "我的 {asset} 限价单以意料之外的价格成交了，请帮忙核实一下发生了什么。",
        ),
        follow=("这是您需要的信息。", "请问我的问题有进展了吗？", "我试过了，但还是不行。"),
        agent_hi="{name}，您好：",
        agent=(
            "感谢您的来信。我们已收到您的请求，专员正在处理。",
            "请您提供截图和交易 ID，以便我们进一步核查。",
            "好消息：问题已在我们这边解决。如还有其他需要，请随时联系我们。",
        ),
        sign="祝好，",
        good="回复迅速，非常有帮助，谢谢！",
        bad="处理时间太长，我的问题仍然没有解决。",
    ),
    "zh-TW": Texts(
        hi="您好，",
        subjects=(
            "身分驗證一直在審核中",
            "關於交易手續費的問題",
            "銀行轉帳尚未入帳",
            "無法登入我的帳戶",
            "{asset} 入金尚未到帳",
            "訂單成交價格異常？",
        ),
        issues=(
            "我幾天前上傳了護照和自拍照，但身分驗證一直顯示審核中。請協助查看申請進度。",
            "請問交易手續費是如何計算的？交易量較大時是否有優惠？",
            "我兩天前透過銀行轉帳匯了 {amount} {currency}，但款項至今仍未入帳。",
            "我無法登入帳戶：雙重驗證碼一直被拒絕，而且我已經無法使用原本的手機。",
            "我在六個多小時前入金了 {asset}，區塊鏈上已確認，但帳戶餘額仍未更新。",
            "我的 {asset} 限價單以意料之外的價格成交，請協助確認發生了什麼事。",
        ),
        follow=("這是您需要的資料。", "請問我的問題有進度了嗎？", "我試過了，但還是無法使用。"),
        agent_hi="{name} 您好：",
        agent=(
            "感謝您的來信。我們已收到您的請求，專員正在處理中。",
            "請提供截圖及交易 ID，以便我們進一步查核。",
            "好消息：問題已在我們這邊解決。如有其他需要，歡迎隨時與我們聯繫。",
        ),
        sign="敬祝 順心",
        good="回覆迅速又有幫助，謝謝！",
        bad="處理時間太久，我的問題仍然沒有解決。",
    ),
    "vi": Texts(
        hi="Xin chào,",
        subjects=(
            "Xác minh danh tính vẫn đang chờ duyệt",
            "Câu hỏi về phí giao dịch",
            "Chuyển khoản ngân hàng chưa được ghi có",
            "Không thể đăng nhập vào tài khoản",
            "Nạp {asset} chưa về",
            "Lệnh khớp sai giá?",
        ),
        issues=(
            "Tôi đã tải lên hộ chiếu và ảnh selfie từ vài ngày trước nhưng việc xác minh vẫn"
            " đang chờ duyệt. Nhờ bộ phận hỗ trợ kiểm tra giúp hồ sơ của tôi.",
            "Vui lòng giải thích cách tính phí giao dịch và có ưu đãi cho khối lượng lớn hay"
            " không?",
            "Tôi đã chuyển khoản {amount} {currency} từ hai ngày trước nhưng tiền vẫn chưa được"
            " cộng vào tài khoản.",
            "Tôi không thể đăng nhập: mã xác thực hai lớp luôn bị từ chối và tôi không còn điện"
            " thoại cũ nữa.",
            "Tôi đã nạp {asset} hơn sáu giờ trước. Giao dịch đã được xác nhận trên blockchain"
            " nhưng số dư chưa được cập nhật.",
            "Lệnh giới hạn {asset} của tôi khớp ở mức giá không như mong đợi. Vui lòng kiểm tra"
            " giúp chuyện gì đã xảy ra.",
        ),
        follow=(
            "Đây là thông tin mà bạn yêu cầu.",
            "Yêu cầu của tôi đã có tiến triển gì chưa?",
            "Tôi đã thử nhưng vẫn không được.",
        ),
        agent_hi="Chào {name},",
        agent=(
            "Cảm ơn bạn đã liên hệ. Chúng tôi đã nhận được yêu cầu và chuyên viên đang xử lý.",
            "Bạn vui lòng gửi ảnh chụp màn hình và mã giao dịch để chúng tôi tiếp tục kiểm tra"
            " nhé.",
            "Tin vui: sự cố đã được khắc phục từ phía chúng tôi. Nếu cần hỗ trợ thêm, bạn cứ"
            " liên hệ nhé.",
        ),
        sign="Trân trọng,",
        good="Hỗ trợ nhanh và nhiệt tình, cảm ơn!",
        bad="Xử lý quá lâu và vấn đề của tôi vẫn chưa được giải quyết.",
    ),
    "id": Texts(
        hi="Halo,",
        subjects=(
            "Verifikasi identitas masih tertunda",
            "Pertanyaan tentang biaya trading",
            "Transfer bank belum masuk",
            "Tidak bisa masuk ke akun saya",
            "Deposit {asset} belum masuk",
            "Order tereksekusi di harga yang salah?",
        ),
        issues=(
            "Saya sudah mengunggah paspor dan swafoto beberapa hari lalu, tetapi verifikasi saya"
            " masih tertunda. Mohon dicek pengajuan saya.",
            "Bisakah dijelaskan bagaimana biaya trading dihitung dan apakah ada diskon untuk"
            " volume yang lebih besar?",
            "Saya mentransfer {amount} {currency} dua hari lalu, tetapi dananya belum masuk ke"
            " akun saya.",
            "Saya tidak bisa masuk: kode autentikasi dua faktor selalu ditolak dan saya sudah"
            " tidak punya akses ke ponsel lama saya.",
            "Saya melakukan deposit {asset} lebih dari enam jam lalu. Transaksinya sudah"
            " terkonfirmasi di blockchain, tetapi saldo saya belum diperbarui.",
            "Limit order {asset} saya tereksekusi di harga yang tidak saya duga. Mohon dicek apa"
            " yang terjadi.",
        ),
        follow=(
            "Berikut informasi yang diminta.",
            "Apakah ada kabar terbaru tentang permintaan saya?",
            "Sudah saya coba, tetapi masih belum berhasil.",
        ),
        agent_hi="Halo {name},",
        agent=(
            "Terima kasih telah menghubungi kami. Permintaan Anda sudah kami terima dan sedang"
            " ditangani oleh spesialis kami.",
            "Mohon kirimkan tangkapan layar dan ID transaksi agar kami dapat menyelidiki lebih"
            " lanjut.",
            "Kabar baik: masalahnya sudah teratasi dari sisi kami. Silakan hubungi kami jika ada"
            " hal lain yang bisa kami bantu.",
        ),
        sign="Salam,",
        good="Cepat dan membantu, terima kasih!",
        bad="Terlalu lama dan masalah saya belum juga selesai.",
    ),
    "th": Texts(
        hi="สวัสดี",
        subjects=(
            "การยืนยันตัวตนยังอยู่ระหว่างตรวจสอบ",
            "สอบถามเรื่องค่าธรรมเนียมการซื้อขาย",
            "เงินโอนผ่านธนาคารยังไม่เข้าบัญชี",
            "เข้าสู่ระบบบัญชีไม่ได้",
            "ฝาก {asset} แล้วยังไม่เข้า",
            "คำสั่งซื้อขายถูกจับคู่ผิดราคาหรือไม่",
        ),
        issues=(
            "ส่งหนังสือเดินทางและรูปเซลฟี่ไปหลายวันแล้ว แต่การยืนยันตัวตนยังอยู่ระหว่างตรวจสอบ"
            " รบกวนช่วยตรวจสอบคำขอให้ด้วย",
            "รบกวนอธิบายวิธีคำนวณค่าธรรมเนียมการซื้อขาย และมีส่วนลดสำหรับปริมาณการซื้อขายสูงหรือไม่",
            "โอนเงิน {amount} {currency} ผ่านธนาคารไปเมื่อสองวันก่อน แต่เงินยังไม่เข้าบัญชี",
            "เข้าสู่ระบบไม่ได้ รหัสยืนยันสองขั้นตอนถูกปฏิเสธตลอด และไม่มีโทรศัพท์เครื่องเดิมแล้ว",
            "ฝาก {asset} ไปมากกว่าหกชั่วโมงแล้ว ธุรกรรมได้รับการยืนยันบนบล็อกเชนแล้ว แต่ยอดคงเหลือยังไม่อัปเดต",
            "คำสั่งซื้อแบบลิมิต {asset} ถูกจับคู่ที่ราคาที่ไม่คาดคิด รบกวนช่วยตรวจสอบว่าเกิดอะไรขึ้น",
        ),
        follow=(
            "ส่งข้อมูลที่ขอมาให้แล้ว",
            "มีความคืบหน้าเรื่องคำขอหรือยัง",
            "ลองทำตามแล้ว แต่ยังใช้งานไม่ได้",
        ),
        agent_hi="เรียนคุณ{name}",
        agent=(
            "ขอบคุณที่ติดต่อเรา เราได้รับคำขอของคุณแล้ว และเจ้าหน้าที่กำลังดำเนินการตรวจสอบ",
            "รบกวนส่งภาพหน้าจอและรหัสธุรกรรมมาให้เรา เพื่อให้เราตรวจสอบเพิ่มเติมได้",
            "ข่าวดี ปัญหาได้รับการแก้ไขเรียบร้อยแล้ว หากต้องการความช่วยเหลือเพิ่มเติม โปรดติดต่อเราได้ตลอดเวลา",
        ),
        sign="ขอแสดงความนับถือ",
        good="ตอบเร็วและช่วยได้มาก ขอบคุณ!",
        bad="ใช้เวลานานเกินไป และปัญหายังไม่ได้รับการแก้ไข",
    ),
    "ar": Texts(
        hi="مرحباً،",
        subjects=(
            "التحقق من الهوية لا يزال قيد المراجعة",
            "سؤال حول رسوم التداول",
            "التحويل البنكي لم يُضف إلى حسابي",
            "لا أستطيع تسجيل الدخول إلى حسابي",
            "إيداع {asset} لم يصل",
            "هل نُفذ الأمر بسعر خاطئ؟",
        ),
        issues=(
            "قمت برفع جواز السفر وصورة سيلفي منذ عدة أيام، لكن التحقق لا يزال قيد المراجعة. هل"
            " يمكنكم مراجعة طلبي من فضلكم؟",
            "هل يمكنكم توضيح كيفية احتساب رسوم التداول، وهل هناك خصم على أحجام التداول الكبيرة؟",
            "أرسلت {amount} {currency} بتحويل بنكي قبل يومين، لكن المبلغ لم يُضف إلى حسابي حتى"
            " الآن.",
            "لا أستطيع تسجيل الدخول: رمز المصادقة الثنائية يُرفض دائماً، ولم يعد لدي هاتفي القديم.",
            "قمت بإيداع {asset} منذ أكثر من ست ساعات. المعاملة مؤكدة على البلوكتشين، لكن رصيدي"
            " لم يُحدَّث.",
            "تم تنفيذ أمر الحد الخاص بي على {asset} بسعر لم أتوقعه. هل يمكنكم التحقق مما حدث؟",
        ),
        follow=(
            "إليكم المعلومات المطلوبة.",
            "هل هناك أي جديد بخصوص طلبي؟",
            "جربت ذلك، لكنه لا يزال لا يعمل.",
        ),
        agent_hi="مرحباً {name}،",
        agent=(
            "شكراً لتواصلك معنا. لقد استلمنا طلبك ويعمل أحد المختصين على مراجعته.",
            "هل يمكنك إرسال لقطة شاشة ومعرّف المعاملة حتى نتمكن من متابعة التحقيق؟",
            "أخبار سارة: تم حل المشكلة من جهتنا. لا تتردد في التواصل معنا إذا احتجت إلى أي مساعدة"
            " أخرى.",
        ),
        sign="مع أطيب التحيات،",
        good="خدمة سريعة ومفيدة، شكراً!",
        bad="استغرق الأمر وقتاً طويلاً جداً ولم تُحل مشكلتي بعد.",
    ),
}

LOCALES: tuple[Locale, ...] = (
    Locale(
        "en-US",
        "en_us",
        "English (US)",
        0.20,
        ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
        "+1",
        "USD",
        False,
        " ",
        _given(
            "James:m Michael:m Robert:m David:m Daniel:m Chris:m Emily:f Sarah:f Jessica:f"
            " Ashley:f Olivia:f Megan:f"
        ),
        _family(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore"
        ),
        _EN,
    ),
    Locale(
        "en-GB",
        "en_gb",
        "English (UK)",
        0.05,
        ("Europe/London",),
        "+44",
        "GBP",
        False,
        " ",
        _given("Oliver:m Harry:m George:m Jack:m Amelia:f Isla:f Sophie:f Charlotte:f"),
        _family("Clarke Hughes Walker Wright Evans Roberts Patel Khan"),
        _EN,
    ),
    Locale(
        "de",
        "de",
        "Deutsch",
        0.06,
        ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
        "+49",
        "EUR",
        False,
        " ",
        _given(
            "Lukas:m Jonas:m Maximilian:m Felix:m Jürgen:m Jörg:m Anna:f Lena:f Sophie:f"
            " Katrin:f Mia:f Jana:f"
        ),
        _family("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Köhler Groß"),
        _TEXTS["de"],
    ),
    Locale(
        "fr",
        "fr",
        "Français",
        0.05,
        ("Europe/Paris", "Europe/Brussels"),
        "+33",
        "EUR",
        False,
        " ",
        _given(
            "Louis:m Hugo:m Théo:m Jérôme:m François:m Camille:f Léa:f Chloé:f Manon:f Hélène:f"
        ),
        _family("Martin Bernard Dubois Thomas Robert Petit Lefèvre Girard Moreau Rousseau"),
        _TEXTS["fr"],
    ),
    Locale(
        "es",
        "es",
        "Español",
        0.07,
        (
            "Europe/Madrid",
            "America/Mexico_City",
            "America/Bogota",
            "America/Argentina/Buenos_Aires",
        ),
        "+34",
        "EUR",
        False,
        " ",
        _given(
            "Alejandro:m Javier:m Sergio:m Álvaro:m José:m María:f Lucía:f Sofía:f Marta:f Inés:f"
        ),
        _family("García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Muñoz"),
        _TEXTS["es"],
    ),
    Locale(
        "it",
        "it",
        "Italiano",
        0.03,
        ("Europe/Rome",),
        "+39",
        "EUR",
        False,
        " ",
        _given(
            "Marco:m Luca:m Giuseppe:m Alessandro:m Niccolò:m Giulia:f Francesca:f Chiara:f"
            " Sara:f Martina:f"
        ),
        _family("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Bruno"),
        _TEXTS["it"],
    ),
    Locale(
        "pt-BR",
        "pt_br",
        "Português (Brasil)",
        0.06,
        ("America/Sao_Paulo", "America/Recife"),
        "+55",
        "BRL",
        False,
        " ",
        _given(
            "João:m Lucas:m Gabriel:m Pedro:m Rafael:m Beatriz:f Larissa:f Fernanda:f"
            " Júlia:f Camila:f"
        ),
        _family("Silva Santos Oliveira Souza Pereira Carvalho Gonçalves Araújo Ribeiro Costa"),
        _TEXTS["pt-BR"],
    ),
    Locale(
        "ru",
        "ru",
        "Русский",
        0.05,
        ("Europe/Moscow", "Asia/Yekaterinburg"),
        "+7",
        "USD",
        False,
        " ",
        _given(
            "Алексей|Aleksei:m Дмитрий|Dmitrii:m Сергей|Sergei:m Иван|Ivan:m Никита|Nikita:m"
            " Анна|Anna:f Екатерина|Ekaterina:f Ольга|Olga:f Мария|Maria:f Татьяна|Tatiana:f"
        ),
        _family(
            "Иванов/Иванова|Ivanov/Ivanova Смирнов/Смирнова|Smirnov/Smirnova"
            " Кузнецов/Кузнецова|Kuznetsov/Kuznetsova Попов/Попова|Popov/Popova"
            " Соколов/Соколова|Sokolov/Sokolova Лебедев/Лебедева|Lebedev/Lebedeva"
            " Новиков/Новикова|Novikov/Novikova Морозов/Морозова|Morozov/Morozova"
            " Волков/Волкова|Volkov/Volkova Павлов/Павлова|Pavlov/Pavlova"
        ),
        _TEXTS["ru"],
    ),
    Locale(
        "uk",
        "uk",
        "Українська",
        0.03,
        ("Europe/Kyiv",),
        "+380",
        "UAH",
        False,
        " ",
        _given(
            "Олександр|Oleksandr:m Андрій|Andrii:m Тарас|Taras:m Дмитро|Dmytro:m"
            " Богдан|Bohdan:m Олена|Olena:f Оксана|Oksana:f Ірина|Iryna:f Наталія|Nataliia:f"
            " Юлія|Yuliia:f"
        ),
        _family(
            "Шевченко|Shevchenko Бондаренко|Bondarenko Коваленко|Kovalenko"
            " Ткаченко|Tkachenko Кравченко|Kravchenko Мельник|Melnyk Ковальчук|Kovalchuk"
            " Бойко|Boiko Лисенко|Lysenko Савчук|Savchuk"
        ),
        _TEXTS["uk"],
    ),
    Locale(
        "tr",
        "tr",
        "Türkçe",
        0.06,
        ("Europe/Istanbul",),
        "+90",
        "TRY",
        False,
        " ",
        _given("Mehmet:m Mustafa:m Ahmet:m Emre:m Burak:m Ayşe:f Fatma:f Zeynep:f Elif:f Özge:f"),
        _family("Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir"),
        _TEXTS["tr"],
    ),
    Locale(
        "pl",
        "pl",
        "Polski",
        0.03,
        ("Europe/Warsaw",),
        "+48",
        "PLN",
        False,
        " ",
        _given(
            "Jakub:m Kacper:m Piotr:m Michał:m Łukasz:m Anna:f Zofia:f Katarzyna:f"
            " Małgorzata:f Agnieszka:f"
        ),
        _family(
            "Nowak Kowalski/Kowalska Wiśniewski/Wiśniewska Wójcik Kowalczyk"
            " Kamiński/Kamińska Lewandowski/Lewandowska Zieliński/Zielińska"
            " Szymański/Szymańska Dąbrowski/Dąbrowska"
        ),
        _TEXTS["pl"],
    ),
    Locale(
        "nl",
        "nl",
        "Nederlands",
        0.03,
        ("Europe/Amsterdam", "Europe/Brussels"),
        "+31",
        "EUR",
        False,
        " ",
        _given("Daan:m Sem:m Thijs:m Bram:m Ruben:m Emma:f Julia:f Sanne:f Fleur:f Lotte:f"),
        _family("de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Visser Smit Meijer de_Boer"),
        _TEXTS["nl"],
    ),
    Locale(
        "ja",
        "ja",
        "日本語",
        0.04,
        ("Asia/Tokyo",),
        "+81",
        "JPY",
        True,
        " ",
        _given(
            "翔太|Shota:m 大輔|Daisuke:m 健|Ken:m 拓也|Takuya:m 陽菜|Hina:f 美咲|Misaki:f"
            " さくら|Sakura:f 結衣|Yui:f"
        ),
        _family(
            "佐藤|Sato 鈴木|Suzuki 高橋|Takahashi 田中|Tanaka 伊藤|Ito 渡辺|Watanabe"
            " 山本|Yamamoto 中村|Nakamura"
        ),
        _TEXTS["ja"],
    ),
    Locale(
        "ko",
        "ko",
        "한국어",
        0.05,
        ("Asia/Seoul",),
        "+82",
        "KRW",
        True,
        "",
        _given(
            "민준|Minjun:m 서준|Seojun:m 지호|Jiho:m 현우|Hyunwoo:m 서연|Seoyeon:f 지우|Jiwoo:f"
            " 하은|Haeun:f 수빈|Subin:f"
        ),
        _family("김|Kim 이|Lee 박|Park 최|Choi 정|Jung 강|Kang 조|Cho 윤|Yoon"),
        _TEXTS["ko"],
    ),
    Locale(
        "zh-CN",
        "zh_cn",
        "简体中文",
        0.03,
        ("Asia/Shanghai",),
        "+86",
        "USD",
        True,
        "",
        _given(
            "伟|Wei:m 强|Qiang:m 磊|Lei:m 洋|Yang:m 浩然|Haoran:m 芳|Fang:f 静|Jing:f 丽|Li:f"
            " 敏|Min:f 婷|Ting:f"
        ),
        _family("王|Wang 李|Li 张|Zhang 刘|Liu 陈|Chen 杨|Yang 黄|Huang 赵|Zhao 吴|Wu 周|Zhou"),
        _TEXTS["zh-CN"],
    ),
    Locale(
        "zh-TW",
        "zh_tw",
        "繁體中文",
        0.03,
        ("Asia/Taipei",),
        "+886",
        "TWD",
        True,
        "",
        _given(
            "家豪|Chiahao:m 志明|Chihming:m 俊傑|Chunchieh:m 冠宇|Kuanyu:m 怡君|Yichun:f"
            " 雅婷|Yating:f 淑芬|Shufen:f 佳穎|Chiaying:f"
        ),
        _family("陳|Chen 林|Lin 黃|Huang 張|Chang 李|Lee 王|Wang 吳|Wu 劉|Liu"),
        _TEXTS["zh-TW"],
    ),
    Locale(
        "vi",
        "vi",
        "Tiếng Việt",
        0.04,
        ("Asia/Ho_Chi_Minh",),
        "+84",
        "VND",
        True,
        " ",
        _given("Minh:m Hùng:m Tuấn:m Dũng:m Quang:m Lan:f Hương:f Thảo:f Linh:f Trang:f"),
        _family("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng"),
        _TEXTS["vi"],
    ),
    Locale(
        "id",
        "id",
        "Bahasa Indonesia",
        0.04,
        ("Asia/Jakarta", "Asia/Makassar"),
        "+62",
        "IDR",
        False,
        " ",
        _given("Budi:m Agus:m Rizky:m Andi:m Dimas:m Dewi:f Siti:f Putri:f Ayu:f Indah:f"),
        _family("Santoso Wijaya Saputra Hidayat Kusuma Pratama Setiawan Nugroho Lestari Halim"),
        _TEXTS["id"],
    ),
    Locale(
        "th",
        "th",
        "ไทย",
        0.02,
        ("Asia/Bangkok",),
        "+66",
        "THB",
        False,
        " ",
        _given(
            "สมชาย|Somchai:m ธนากร|Thanakorn:m วีระ|Weera:m ณัฐพล|Nattapon:m สุดา|Suda:f"
            " พิมพ์ชนก|Pimchanok:f กาญจนา|Kanjana:f ศิริพร|Siriporn:f"
        ),
        _family(
            "ใจดี|Jaidee ศรีสุข|Srisuk วงศ์ใหญ่|Wongyai แสงทอง|Saengthong บุญมา|Boonma"
            " สุขสวัสดิ์|Suksawat ทองดี|Thongdee รัตนพันธ์|Rattanaphan"
        ),
        _TEXTS["th"],
    ),
    Locale(
        "ar",
        "ar",
        "العربية",
        0.03,
        ("Asia/Dubai", "Asia/Riyadh", "Africa/Cairo"),
        "+971",
        "AED",
        False,
        " ",
        _given(
            "محمد|Mohammed:m أحمد|Ahmed:m عمر|Omar:m خالد|Khaled:m يوسف|Youssef:m"
            " فاطمة|Fatima:f مريم|Mariam:f نور|Nour:f ليلى|Layla:f سارة|Sara:f"
        ),
        _family(
            "العلي|Alali الحسن|Alhassan المنصوري|Almansouri الشمري|Alshammari"
            " الزهراني|Alzahrani حداد|Haddad خوري|Khoury النجار|Alnajjar"
        ),
        _TEXTS["ar"],
    ),
)
"""Customer locales with their share of customers (the shares sum to 1)."""

LOCALE_BY_CODE: dict[str, Locale] = {locale.code: locale for locale in LOCALES}

LOCAL_FILE_NAMES: dict[str, tuple[str, str, str]] = {
    "de": ("Personalausweis.png", "Kontoauszug.pdf", "Bildschirmfoto.png"),
    "fr": ("pièce_d'identité.png", "relevé_bancaire.pdf", "capture_d'écran.png"),
    "es": ("pasaporte.png", "extracto_bancario.pdf", "captura_de_pantalla.png"),
    "it": ("carta_d'identità.png", "estratto_conto.pdf", "schermata.png"),
    "pt-BR": ("passaporte.png", "comprovante_de_depósito.pdf", "captura_de_tela.png"),
    "ru": ("паспорт.png", "выписка_из_банка.pdf", "скриншот.png"),
    "uk": ("паспорт_скан.png", "виписка_з_банку.pdf", "знімок_екрана.png"),
    "tr": ("kimlik_kartı.png", "dekont.pdf", "ekran_görüntüsü.png"),
    "pl": ("dowód_osobisty.png", "wyciąg_bankowy.pdf", "zrzut_ekranu.png"),
    "nl": ("paspoort.png", "bankafschrift.pdf", "schermafbeelding.png"),
    "ja": ("パスポート.png", "振込明細.pdf", "スクリーンショット.png"),
    "ko": ("신분증.png", "입금확인서.pdf", "스크린샷.png"),
    "zh-CN": ("身份证.png", "银行流水.pdf", "截图.png"),
    "zh-TW": ("身分證.png", "匯款證明.pdf", "螢幕截圖.png"),
    "vi": ("căn_cước.png", "sao_kê_ngân_hàng.pdf", "ảnh_chụp_màn_hình.png"),
    "id": ("ktp.png", "mutasi_rekening.pdf", "tangkapan_layar.png"),
    "th": ("บัตรประชาชน.png", "สลิปโอนเงิน.pdf", "ภาพหน้าจอ.png"),
    "ar": ("جواز_السفر.png", "كشف_حساب.pdf", "لقطة_شاشة.png"),
}
"""Localized names customers give their uploads: (ID document, bank document, screenshot)."""

AGENT_NAMES: tuple[str, ...] = (
    "Marta Kowalczyk",
    "Diego Alvarez",
    "Priya Raman",
    "Tomás Ferreira",
    "Yuki Nakamura",
    "Jonas Becker",
    "Aisha Rahman",
    "Lucas Moreau",
    "Hannah Schulz",
    "Mateo Rossi",
    "Chloé Lambert",
    "Ivan Petrenko",
    "Selin Aksoy",
    "Nguyễn Thu Hà",
    "Kim Ji-woo",
    "Rafael Costa",
    "Emma Visser",
    "Omar Haddad",
    "Sofia Lindqvist",
    "Wei Zhang",
    "Olga Sokolova",
    "Daniel Okafor",
    "Julia Nowak",
    "Kenji Watanabe",
    "Laura Martín",
    "Arjun Mehta",
    "Zeynep Kaya",
    "Niklas Berg",
    "Camila Rojas",
    "Thabo Nkosi",
    "Mia Hoffmann",
    "Ahmed Saleh",
    "Anna Novak",
    "Pedro Lima",
    "Sakura Ito",
    "Felix Wagner",
    "Leila Karimi",
    "Hugo Dubois",
    "Nadia Petrova",
    "Bruno Santos",
    "Eva Horváth",
    "Samuel Mensah",
    "Ines Carvalho",
    "Tariq Aziz",
    "Lena Krüger",
    "Andrés Gómez",
    "Mei Lin",
    "Oskar Nilsson",
    "Fatima Zahra",
    "Paolo Ricci",
)
"""Given and family names of the support team (a multinational team)."""

AGENT_TIME_ZONES: tuple[str, ...] = (
    "Europe/Lisbon",
    "Europe/Warsaw",
    "Europe/Kyiv",
    "Europe/Berlin",
    "Asia/Manila",
    "Asia/Singapore",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "Europe/London",
)

ORG_PREFIXES: tuple[str, ...] = (
    "Northwind",
    "Blue Harbor",
    "Kestrel",
    "Sakura",
    "Andes",
    "Baltic",
    "Meridian",
    "Granite",
    "Aurora",
    "Helvetia",
    "Lumen",
    "Orion",
    "Zephyr",
    "Atlas",
    "Vega",
    "Pinnacle",
    "Saffron",
    "Cedar",
    "Polaris",
    "Halcyon",
    "Bosphorus",
    "Danube",
    "Mekong",
    "Coral",
    "Tundra",
)
ORG_SUFFIXES: tuple[str, ...] = (
    "Capital GmbH",
    "Asset Management Ltd",
    "Trading AG",
    "Digital Assets K.K.",
    "Fintech S.A.",
    "Ledger OÜ",
    "Quant Partners LLC",
    "Crypto Fund LP",
    "Investments FZ-LLC",
    "Dijital Varlık A.Ş.",
    "Treasury B.V.",
    "Markets Sp. z o.o.",
    "Holdings Pte. Ltd.",
)
"""Institutional customer names are a prefix and a suffix (e.g. "Kestrel Trading AG")."""

PRIVATE_NOTES: tuple[tuple[str, ...], ...] = (
    (
        "Documents checked: passport MRZ matches the profile, selfie liveness passed.",
        "ID photo is blurry and the expiry date is not readable; asked for a new upload.",
        "Address document older than 3 months, cannot accept it for tier upgrade.",
    ),
    (
        "Pointed the customer to the fee schedule article.",
        "Customer asked about the referral program; no account action needed.",
    ),
    (
        "Checked with the payment provider: transfer received without reference, matched manually.",
        "Card deposit declined by the issuing bank (3-D Secure timeout).",
        "Withdrawal held by compliance review, expected release within 24 h.",
    ),
    (
        "Identity re-verified against the ID document and selfie on file; 2FA reset approved.",
        "Login attempts from a new device in another country; account locked as a precaution.",
        "Customer passed the security questions; documents attached for the audit trail.",
    ),
    (
        "TXID confirmed on chain with enough confirmations; deposit address belongs to the user.",
        "Deposit sent on an unsupported network; escalated to the Crypto Desk for recovery.",
        "Withdrawal stuck in the hot wallet queue, re-broadcast by the Crypto Desk.",
    ),
    (
        "Checked the order book snapshot: the fill price was within the spread at that moment.",
        "Liquidation was triggered correctly at the maintenance margin level.",
    ),
)
"""Internal notes agents write (in English, the team's working language), by category."""

LONG_THREAD_LINES: tuple[str, ...] = (
    "Please confirm settlement of OTC block {ref}.",
    "Settlement of OTC block {ref} confirmed, funds are available in your sub-account.",
    "We see a small difference in the {asset} amount credited for block {ref}.",
    "The difference for block {ref} is the network fee; statement attached to the portal.",
    "API key rotation for the trading desk is scheduled; please whitelist the new IPs.",
    "Whitelist updated. Rate limits for the institutional key are raised as agreed.",
)
"""Lines of the long-running institutional thread (customer and agent turns alternate)."""
