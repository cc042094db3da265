"""A week of support at «Тропа»: who wrote, through which channel, and how it went.

Conversations are listed by day, oldest first. Order numbers grow through the week (48100 a
week ago, 48300 today); the shop's showroom, couriers and warehouse are the same in every
story, so the desk reads as one business.
"""

from __future__ import annotations

from unidesk.demo.script import (
    Ago,
    Call,
    Change,
    CloseDuplicate,
    Conversation,
    D,
    Day,
    H,
    Link,
    Note,
    Person,
    Relate,
    Reply,
    Say,
)

CAST: dict[str, Person] = {
    "olga": Person("Ольга Кузнецова", email="olga.kuznetsova@example.com"),
    "andrey": Person("Андрей", webchat="v-7f3c2a91"),
    "lesha": Person("Алексей К.", telegram="384112907"),
    "james": Person("James Whitfield", email="james.whitfield@example.org"),
    "natalia": Person("Наталья Громова", phone="+7 912 604-33-18"),
    "lapteva": Person("Марина Лаптева", email="m.lapteva@sever-veter.example"),
    "somov": Person("Виктор Сомов", email="v.somov@example.net"),
    "vlasova": Person("Ирина Власова", telegram="529087341"),
    "grishin": Person("Павел Гришин", email="pavel.grishin@example.com"),
    "mironova": Person("Светлана Миронова", vk="193004512"),
    "emma": Person("Emma Clarke", webchat="v-2b81e0d4"),
    "kovalev": Person("Дмитрий Ковалёв", email="dkovalev@example.com"),
    "gulnara": Person("Гульнара Хасанова", phone="+7 917 455-20-81"),
    "sokolova": Person("Елена Соколова", email="elena.sokolova@example.com"),
    "mark": Person("Mark Jensen", telegram="611873002"),
    "anastasia": Person("Анастасия", webchat="v-c09a1e77"),
    "timofeev": Person("Олег Тимофеев", vk="48822109"),
    "lebedeva": Person("Марина Лебедева", email="marina.lebedeva@example.net"),
    "zaitsev": Person("Роман Зайцев", email="roman.zaitsev@example.com"),
    "rudenko": Person("Татьяна Руденко", phone="+7 926 118-42-90"),
    "morozov": Person("Алексей Морозов", email="a.morozov@example.org"),
    "nikita": Person("Никита", telegram="702219554"),
    "sofia": Person("Sofia Petrova", webchat="v-5e44d0b3"),
    "frolova": Person("Ксения Фролова", email="k.frolova@example.com"),
    "savelyev": Person("Денис Савельев", vk="310587220"),
    "kamila": Person("Камила Ахмедова", phone="+7 985 301-77-64"),
    "oliver": Person("Oliver Hughes", email="oliver.hughes@example.com"),
    "dyakova": Person("Екатерина Дьякова", email="e.dyakova@example.org"),
    # Writes by email, then asks to be answered in WhatsApp: one customer, two channels.
    "andreeva": Person(
        "Юлия Андреева", email="yulia.andreeva@example.com", phone="+7 916 742-18-35"
    ),
    "ruslan": Person("Руслан", telegram="455190283"),
    "visitor": Person("", webchat="v-91d7f3aa"),
    "kudryavtsev": Person("Сергей Кудрявцев", email="s.kudryavtsev@example.com"),
    "ershov": Person("Павел Ершов", vk="27743180"),
    "daniel": Person("Daniel Novak", phone="+7 999 862-10-47"),
    "belyakova": Person("Анна Белякова", email="anna.belyakova@example.net"),
    "lazarev": Person("Артём Лазарев", email="artem.lazarev@example.com"),
    "vera": Person("Вера Никольская", telegram="133602871"),
    "gusev": Person("Михаил Гусев", email="m.gusev@gorizont-club.example"),
    "polina": Person("Полина", webchat="v-4a0c88e2"),
    "laura": Person("Laura Schmidt", email="laura.schmidt@example.org"),
    "artur": Person("Артур Гаспарян", telegram="900412365"),
    "polyakova": Person("Ирина Полякова", email="irina.polyakova@example.com"),
    "kravets": Person("Алина Кравец", vk="562001845"),
    # Writes through the site's form and then by email: the same address, one customer.
    "fedorov": Person("Константин Фёдоров", email="k.fedorov@example.net"),
    "gracheva": Person("Светлана Грачёва", phone="+7 903 550-91-26"),
    "borisov": Person("Николай Борисов", email="n.borisov@example.org"),
    "ilyin": Person("Вадим Ильин", email="vadim.ilyin@example.com"),
    "olga_chat": Person("Ольга", webchat="v-e5a1c372"),
    "fomin": Person("Максим Фомин", telegram="288109347"),
    "priya": Person("Priya Sharma", phone="+7 977 240-63-11"),
    "samoilov": Person("Егор Самойлов", vk="715530092"),
    "petrenko": Person("Лариса Петренко", email="larisa.petrenko@example.org"),
    "tkachenko": Person("Георгий Ткаченко", email="g.tkachenko@example.com"),
    "chris": Person("Chris Taylor", webchat="v-0d6b2f19"),
    "yusupova": Person("Зарина Юсупова", telegram="806114752"),
    "yakovlev": Person("Тимур Яковлев", email="t.yakovlev@example.net"),
    "aksenova": Person("Людмила Аксёнова", phone="+7 911 238-45-70"),
    "demidova": Person("Ольга Демидова", email="buh@vershina-travel.example"),
    # Wrote in WhatsApp a week ago; today writes from Telegram and gives that number: the
    # desk suggests that the two customers are one person.
    "natasha_tg": Person("Наташа", telegram="604331870"),
    # Talks to the web chat's bot first; it hands him over to a person.
    "timur_chat": Person("Тимур", webchat="v-3c7e51b0"),
}


CONVERSATIONS: tuple[Conversation, ...] = (
    # --- six days ago ---------------------------------------------------------------------
    Conversation(
        channel="mail",
        customer="olga",
        start=Day(6, "09:12"),
        subject="Где мой заказ 48102?",
        steps=(
            Say(
                "Здравствуйте!\n\n"
                "Заказ 48102 оформила восемь дней назад, на сайте обещали доставку за 3–5 "
                "дней. Трек СДЭК 1029384756 уже четыре дня показывает «Принят на сортировку "
                "в Екатеринбурге» и дальше не двигается. Посылка нужна к концу недели — едем "
                "в Карелию.\n\n"
                "Ольга"
            ),
            Change("maria", after=34, assign="maria", tags=("доставка", "задержка")),
            Reply(
                "maria",
                "Здравствуйте, Ольга!\n\n"
                "Спасибо, что написали. Проверила заказ 48102: посылка действительно "
                "задержалась на сортировочном центре СДЭК в Екатеринбурге — у них сейчас "
                "большая нагрузка. Я открыла претензию в СДЭК с просьбой ускорить отправку, "
                "номер обращения 7781-22.\n\n"
                "Как только появится движение, напишу вам. Если к концу недели посылка не "
                "успеет, соберём такой же заказ на московском складе и отправим курьером за "
                "наш счёт.",
                after=6,
                status="pending",
            ),
            Say("Спасибо, Мария! Буду ждать.", after=5 * H + 40),
            Change("maria", after=20, status="pending"),
            Say(
                "Мария, посылка сдвинулась — пришло уведомление, что она уже в Москве. "
                "Спасибо за помощь!",
                after=D + 2 * H,
            ),
            Reply(
                "maria",
                "Ольга, рада, что всё сдвинулось! По данным СДЭК, курьер привезёт заказ "
                "завтра с 10 до 18. Хорошей поездки в Карелию!",
                after=25,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="chat",
        customer="andrey",
        start=Day(6, "11:05"),
        steps=(
            Say("Здравствуйте, какой размер ботинок Ridge Mid брать, если обычно ношу 43?"),
            Change("sergey", after=2, assign="sergey", tags=("размер", "консультация")),
            Reply(
                "sergey",
                "Здравствуйте, Андрей! Ridge Mid маломерят примерно на полразмера. Если в "
                "кроссовках у вас 43, лучше взять 43,5, а под толстый трекинговый носок — 44. "
                "Длина стельки у 43,5 — 28,3 см.",
                after=1,
            ),
            Say("А стопа широкая, это важно?", after=3),
            Reply(
                "sergey",
                "Колодка у Ridge Mid средняя. При широкой стопе посмотрите Ridge Mid Wide — "
                "полнота больше, размеры те же. Обе модели можно заказать с примеркой: курьер "
                "подождёт 15 минут, и вы оплатите только то, что подошло.",
                after=4,
            ),
            Say("Понял, закажу обе с примеркой. Спасибо!", after=2),
            Reply("sergey", "Пожалуйста! Хороших походов 🙂", after=1, status="solved"),
        ),
    ),
    Conversation(
        channel="tg",
        customer="lesha",
        start=Day(6, "13:40"),
        steps=(
            Say(
                "Промокод ПЕРВЫЙ10 не срабатывает, пишет «промокод недействителен». Заказ ещё "
                "не оформил"
            ),
            Change("maria", after=7, assign="maria", tags=("промокод",)),
            Reply(
                "maria",
                "Здравствуйте, Алексей! ПЕРВЫЙ10 действует только на первый заказ в аккаунте и "
                "не распространяется на уценённые товары. Посмотрите, пожалуйста: в корзине "
                "нет товаров с жёлтой плашкой «Уценка»?",
                after=2,
            ),
            Say("Ааа, есть, фонарь уценённый. Убрал его — скидка применилась 👍", after=6),
            Reply(
                "maria",
                "Отлично! Фонарь можно оформить отдельным заказом — на него и так действует "
                "сниженная цена. Хорошего дня!",
                after=2,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="james",
        start=Day(6, "15:22"),
        subject="Shipping to Serbia?",
        language="en",
        steps=(
            Say(
                "Hello,\n\n"
                "I'm living in Belgrade and would like to order the Ursa 3 tent and two Taiga "
                "sleeping bags. Do you ship to Serbia, and roughly how much would it cost and "
                "how long would it take?\n\n"
                "Thanks,\nJames"
            ),
            Change("olivia", after=18, assign="olivia", tags=("доставка", "english")),
            Reply(
                "olivia",
                "Hi James,\n\n"
                "Thanks for getting in touch! Yes, we ship to Serbia with EMS (Russian Post). "
                "For the Ursa 3 tent and two Taiga sleeping bags (about 7.5 kg packed) "
                "shipping comes to 4,900 RUB, and delivery usually takes 10–20 days. Serbian "
                "customs may charge duty on orders over 50 EUR; that is paid on delivery.\n\n"
                "If that works for you, place the order on the site and choose "
                "«International delivery» at checkout.",
                after=9,
                status="pending",
            ),
            Say(
                "Great, that's clear. I've placed the order (48109). Thank you!",
                after=3 * H + 5,
            ),
            Reply(
                "olivia",
                "Thank you, James! Order 48109 is confirmed. It ships tomorrow, and you'll get "
                "the tracking number by email.",
                after=40,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="natalia",
        start=Day(6, "17:55"),
        steps=(
            Say(
                "Добрый вечер! Можно поменять цвет рюкзака в заказе 48117 с синего на "
                "зелёный? Его ещё не отправили?"
            ),
            Change("maria", after=11, assign="maria", tags=("изменение-заказа",)),
            Reply(
                "maria",
                "Добрый вечер, Наталья! Заказ ещё на сборке, так что успеваем. Alpina 45 в "
                "зелёном есть, цена та же. Меняю?",
                after=3,
            ),
            Say("Да, пожалуйста!", after=4),
            Reply(
                "maria",
                "Готово: в заказе 48117 теперь Alpina 45 цвета «Хвоя». Сумма и дата доставки "
                "не изменились.",
                after=5,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="b2b",
        customer="lapteva",
        start=Day(6, "10:30"),
        subject="Счёт на 12 термосов с гравировкой",
        steps=(
            Say(
                "Добрый день!\n\n"
                "Хотим заказать 12 термосов Kettle 1 л с лазерной гравировкой нашего логотипа "
                "— подарки сотрудникам. Выставьте, пожалуйста, счёт на ООО «Северный ветер».\n\n"
                "ИНН 7805123456, КПП 780501001\n"
                "Юр. адрес: 191000, Санкт-Петербург, Невский пр., д. 1, офис 10\n\n"
                "Логотип пришлём в векторе.\n\n"
                "—\nМарина Лаптева\nофис-менеджер ООО «Северный ветер»"
            ),
            Change("katya", after=25, assign="katya", tags=("юрлицо", "документы")),
            Reply(
                "katya",
                "Добрый день, Марина!\n\n"
                "Спасибо за заказ. Счёт № 318 во вложении: 12 термосов Kettle 1 л и "
                "гравировка, итого 48 600 ₽ с НДС. Счёт действителен 5 банковских дней.\n\n"
                "Логотип пришлите, пожалуйста, ответом на это письмо (SVG, AI или PDF). "
                "Гравировка занимает 2 рабочих дня после оплаты.",
                after=50,
                status="pending",
                files=("Schet_318_Tropa.pdf",),
            ),
            Say(
                "Екатерина, добрый день! Оплатили, платёжное поручение во вложении. Логотип "
                "отправила вчера отдельным письмом.",
                after=D + 3 * H,
                files=("Platezhka_112.pdf",),
            ),
            Note(
                "katya",
                "Оплата 48 600 ₽ пришла на р/с. Логотип передала в мастерскую, гравировка "
                "будет готова послезавтра.",
                after=30,
            ),
            Reply(
                "katya",
                "Марина, оплата поступила, спасибо! Логотип у мастера, гравировка будет готова "
                "послезавтра, в тот же день отправим термосы курьером на ваш адрес. УПД "
                "положим в коробку и продублируем через ЭДО.",
                after=5,
                status="solved",
            ),
        ),
    ),
    # --- five days ago --------------------------------------------------------------------
    Conversation(
        channel="form",
        customer="somov",
        start=Day(5, "09:40"),
        subject="Гарантия: фонарь Lumen 300 не заряжается",
        steps=(
            Say(
                "Купил налобный фонарь Lumen 300 два месяца назад (заказ 47680). Перестал "
                "заряжаться: индикатор мигает красным, после часа зарядки фонарь не "
                "включается. Другой кабель и блок пробовал — то же самое."
            ),
            Change("dmitry", after=22, group="tech", tags=("гарантия",)),
            Change("igor", after=35, assign="igor"),
            Reply(
                "igor",
                "Здравствуйте, Виктор!\n\n"
                "Жаль, что так вышло. Мигающий красный индикатор обычно значит, что "
                "аккумулятор ушёл в защиту после глубокого разряда. Попробуйте, пожалуйста: "
                "зажмите кнопку на 10 секунд, затем поставьте фонарь на зарядку от USB-порта "
                "компьютера (не от быстрой зарядки) на 2 часа.\n\n"
                "Если не поможет, пришлите фото индикатора во время зарядки — оформим "
                "гарантию.",
                after=8,
                status="pending",
            ),
            Say(
                "Сделал всё по инструкции — не помогло. Фото прикладываю.",
                after=5 * H,
                files=("фонарь_не_заряжается.png",),
            ),
            Reply(
                "igor",
                "Виктор, спасибо за фото. Это гарантийный случай: отправьте, пожалуйста, "
                "фонарь нам на диагностику через СДЭК за наш счёт — в любом пункте назовите "
                "код 5571-ТР. По результату заменим фонарь на новый или вернём деньги, как "
                "вам удобнее. Диагностика занимает до 5 рабочих дней.",
                after=40,
                status="pending",
            ),
            Say("Отправил, накладная 1032558871.", after=D + 2 * H),
            Reply(
                "igor",
                "Спасибо! Как только сервисный центр даст заключение, напишу вам.",
                after=25,
            ),
            Change("igor", after=1, status="on-hold"),
            Note(
                "igor",
                "Фонарь едет в сервис «Вектор», заключение обещают в течение 5 рабочих дней. "
                "Если подтвердят — заменяем, Lumen 300 на складе есть.",
                after=1,
            ),
        ),
    ),
    Conversation(
        channel="tg",
        customer="vlasova",
        start=Day(5, "10:15"),
        steps=(
            Say(
                "Здравствуйте. С карты дважды списали 6 780 ₽ за заказ 48150! Скриншот из "
                "банка могу прислать. Верните деньги"
            ),
            Change(
                "anna",
                after=4,
                priority="high",
                group="billing",
                tags=("оплата", "двойное-списание"),
            ),
            Change("katya", after=6, assign="katya"),
            Reply(
                "katya",
                "Здравствуйте, Ирина! Проверяю платежи по заказу 48150, пару минут.",
                after=3,
            ),
            Note(
                "katya",
                "В эквайринге по 48150: один платёж проведён, второй — авторизация (холд) от "
                "повторного нажатия «Оплатить», не подтверждена. Сняла холд вручную.",
                after=6,
            ),
            Reply(
                "katya",
                "Ирина, проверила: деньги списаны один раз. Вторая операция — блокировка суммы "
                "банком при повторном нажатии «Оплатить». Мы её не подтверждали и уже "
                "отменили, банк разблокирует 6 780 ₽ в течение 1–3 рабочих дней, обычно "
                "быстрее.\n\nИзвините за беспокойство!",
                after=2,
                status="pending",
            ),
            Say("То есть мне ничего делать не надо?", after=9),
            Reply(
                "katya",
                "Да, ничего делать не нужно. Если через 3 рабочих дня деньги не вернутся — "
                "напишите сюда, я пришлю справку для банка.",
                after=2,
                status="pending",
            ),
            Say("Деньги вернулись, спасибо!", after=D + 5 * H),
            Reply(
                "katya",
                "Отлично, спасибо, что сообщили! Хорошего дня 🙂",
                after=10,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="grishin",
        start=Day(5, "08:47"),
        subject="Курьер не приехал",
        steps=(
            Say(
                "Добрый день. Вчера ждал курьера с заказом 48133 с 10 до 18, никто не приехал "
                "и не позвонил. В статусе написано «Доставка перенесена». Когда привезут? Я "
                "могу только после 19:00 в будни."
            ),
            Change("sergey", after=38, assign="sergey", tags=("доставка", "задержка")),
            Note(
                "sergey",
                "Дмитрий, курьер вчера заболел, клиента не предупредили. Вечерний интервал "
                "стоит +300 ₽ — можно перевести за наш счёт?",
                after=10,
            ),
            Note("dmitry", "Да, переводи за наш счёт и извинись за сбой.", after=7),
            Reply(
                "sergey",
                "Здравствуйте, Павел!\n\n"
                "Приносим извинения: вчера курьер не смог выйти на смену, а служба доставки не "
                "предупредила вас о переносе. Мы перевели заказ 48133 на вечерний интервал — "
                "сегодня с 19:00 до 22:00, доплачивать ничего не нужно. Курьер позвонит за "
                "час.",
                after=12,
                status="pending",
            ),
            Say("Получил, спасибо.", after=13 * H),
            Change("sergey", after=35, status="solved"),
        ),
    ),
    Conversation(
        channel="vk",
        customer="mironova",
        start=Day(5, "12:20"),
        steps=(
            Say(
                "Здравствуйте! Купила спальник Taiga -10, он оказался слишком тёплым для наших "
                "походов. Не пользовались, бирки на месте. Можно вернуть?"
            ),
            Change("maria", after=9, assign="maria", tags=("возврат",)),
            Reply(
                "maria",
                "Здравствуйте, Светлана! Да, конечно: если с покупки прошло меньше 14 дней и "
                "спальником не пользовались, его можно вернуть. Оформите заявку в личном "
                "кабинете («Мои заказы» → «Вернуть товар») и отнесите спальник в любой пункт "
                "СДЭК — отправка бесплатная. Деньги вернутся на карту в течение 10 дней после "
                "того, как спальник придёт на склад.",
                after=4,
            ),
            Say("А можно вместо возврата обменять на Taiga +5?", after=12),
            Reply(
                "maria",
                "Можно! Тогда в заявке выберите «Обмен» и укажите Taiga +5. Он дешевле на "
                "2 300 ₽ — разницу вернём на карту.",
                after=3,
                status="solved",
            ),
            Change("maria", after=1, tags=("обмен",)),
        ),
    ),
    Conversation(
        channel="chat",
        customer="emma",
        start=Day(5, "14:02"),
        language="en",
        steps=(
            Say("Hi! Can I pick up my order from your showroom instead of waiting for delivery?"),
            Change("olivia", after=1, assign="olivia", tags=("доставка", "english")),
            Reply(
                "olivia",
                "Hi Emma! Yes, of course. What's your order number? I'll check whether it's "
                "still at the warehouse.",
                after=1,
            ),
            Say("It's 48144", after=2),
            Reply(
                "olivia",
                "Thanks! 48144 hasn't shipped yet, so I've switched it to pickup. You can "
                "collect it at our showroom from tomorrow, 11:00–21:00 every day. Bring the "
                "order number; you'll get a text message when it's ready.",
                after=3,
            ),
            Say("Perfect, thank you so much!", after=1),
            Reply("olivia", "You're welcome, enjoy your new gear!", after=1, status="solved"),
        ),
    ),
    Conversation(
        channel="mail",
        customer="kovalev",
        start=Day(5, "16:48"),
        subject="Не приходит СМС-код для входа в приложение",
        steps=(
            Say(
                "Здравствуйте. Пытаюсь войти в приложение «Тропа» по номеру +7 903 215-64-09, "
                "код не приходит уже третий день. Раньше всё работало. iPhone 13, Билайн."
            ),
            Change("dmitry", after=15, group="tech", tags=("приложение", "вход")),
            Change("igor", after=30, assign="igor"),
            Reply(
                "igor",
                "Здравствуйте, Дмитрий!\n\n"
                "Посмотрел: после нескольких запросов кода подряд система защиты временно "
                "заблокировала отправку СМС на ваш номер. Я снял блокировку — запросите, "
                "пожалуйста, код ещё раз. Если снова не придёт, на экране входа есть кнопка "
                "«Получить код звонком».",
                after=12,
                status="pending",
            ),
            Say("Пришёл, вошёл. Спасибо!", after=50),
            Reply("igor", "Отлично! Если что-то ещё — пишите.", after=8, status="solved"),
            Note(
                "igor",
                "Третий случай за неделю: антифрод блокирует СМС после 3 запросов. Завёл "
                "задачу MOB-477 — поднять порог до 5.",
                after=2,
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="gulnara",
        start=Day(5, "19:10"),
        steps=(
            Say(
                "Здравствуйте! Пришла куртка Nord, размер M маловат в плечах. Можно поменять на L?"
            ),
            Change("maria", after=6, assign="maria", tags=("обмен", "размер")),
            Reply(
                "maria",
                "Здравствуйте, Гульнара! Конечно, поменяем. Пришлите, пожалуйста, фото бирки — "
                "проверю модель и партию.",
                after=3,
            ),
            Say("Вот", after=10, files=("бирка_куртки.png",)),
            Reply(
                "maria",
                "Спасибо! Nord L в том же цвете есть. Курьер привезёт новую куртку и сразу "
                "заберёт старую — завтра с 12 до 16 удобно? Доставка и обмен бесплатные.",
                after=6,
            ),
            Say("Да, удобно", after=4),
            Reply(
                "maria",
                "Оформила обмен, заказ 48161. Курьер позвонит за час до приезда.",
                after=3,
                status="pending",
            ),
            Say("Поменяли, всё подошло. Спасибо!", after=D - 2 * H),
            Reply(
                "maria", "Рада, что подошла! Носите с удовольствием 🙂", after=20, status="solved"
            ),
        ),
    ),
    # --- four days ago --------------------------------------------------------------------
    Conversation(
        # Solved, then reopened when the customer found the refund short.
        channel="mail",
        customer="sokolova",
        start=Day(4, "10:05"),
        subject="Возврат денег за палатку",
        steps=(
            Say(
                "Здравствуйте!\n\n"
                "Неделю назад вернула палатку Ursa 3 (заказ 48012) через СДЭК, по трекингу "
                "её получили ещё три дня назад. Деньги так и не пришли. Когда ждать?\n\n"
                "Елена"
            ),
            Change("maria", after=20, group="refunds", tags=("возврат",)),
            Change("katya", after=45, assign="katya"),
            Note(
                "katya",
                "Склад принял палатку 3 дня назад, но возврат не провели — акт застрял на "
                "проверке. Провела сама.",
                after=10,
            ),
            Reply(
                "katya",
                "Здравствуйте, Елена!\n\n"
                "Извините за задержку: палатка пришла на склад, но возврат задержался на "
                "проверке. Я оформила его сегодня: 12 490 ₽ вернутся на карту, с которой вы "
                "платили. Срок зачисления зависит от банка — обычно 3–5 рабочих дней.",
                after=5,
                status="solved",
            ),
            Say(
                "Екатерина, деньги пришли, но 12 040 ₽, а не 12 490. Куда делись 450 рублей?",
                after=2 * D + 3 * H,
            ),
            Reply(
                "katya",
                "Елена, 450 ₽ — это стоимость доставки палатки до вас: по правилам возврата "
                "она не возмещается, если товар возвращают не из-за брака. Извините, что не "
                "написала об этом сразу.",
                after=35,
            ),
            Say(
                "Но на сайте написано «бесплатный возврат»! Я поэтому и заказывала у вас.",
                after=15,
            ),
            Note(
                "katya",
                "Анна, клиентка права: на странице «Доставка и возврат» написано «бесплатный "
                "возврат» без оговорки про доставку. Вернём 450 ₽ в порядке исключения? И текст "
                "на сайте надо поправить.",
                after=10,
            ),
            Note("anna", "Да, возвращай. Текст передала контент-менеджеру.", after=25),
            Reply(
                "katya",
                "Елена, вы правы: на сайте это написано неточно. Мы вернём 450 ₽, они придут "
                "на карту в течение 3–5 рабочих дней. Спасибо, что обратили внимание, текст на "
                "сайте исправим.",
                after=10,
                status="pending",
            ),
        ),
    ),
    Conversation(
        channel="tg",
        customer="mark",
        start=Day(4, "11:30"),
        language="en",
        steps=(
            Say(
                "Hi, the tracking number you sent for order 48158 says 'not found' on the CDEK "
                "website"
            ),
            Change("olivia", after=5, assign="olivia", tags=("доставка", "english")),
            Reply(
                "olivia",
                "Hi Mark! The parcel was handed to CDEK this morning, and their tracking "
                "usually activates within 24 hours of the first scan. Please try again "
                "tonight. If it still says 'not found' tomorrow, write here and I'll chase "
                "them.",
                after=2,
            ),
            Say("Works now, thanks!", after=9 * H),
            Reply("olivia", "Great! Have a good evening.", after=10, status="solved"),
        ),
    ),
    Conversation(
        # A trainee's first answer misses; the supervisor steers him in a note.
        channel="chat",
        customer="anastasia",
        start=Day(4, "12:47"),
        steps=(
            Say("Промокод ДРУГ500 не применяется, пишет «условия не выполнены»"),
            Change("sergey", after=2, assign="sergey", tags=("промокод",)),
            Reply(
                "sergey",
                "Здравствуйте! Попробуйте, пожалуйста, очистить кэш браузера и ввести промокод "
                "ещё раз.",
                after=2,
            ),
            Note(
                "dmitry",
                "Серёж, кэш тут ни при чём: ДРУГ500 работает от 3 000 ₽ в корзине и только на "
                "товары без скидки. Посмотри её корзину и ответь по сути.",
                after=3,
            ),
            Reply(
                "sergey",
                "Извините, уточнил: ДРУГ500 действует при сумме заказа от 3 000 ₽ без учёта "
                "товаров со скидкой. Сейчас в вашей корзине таких товаров на 2 650 ₽ — не "
                "хватает 350 ₽.",
                after=3,
            ),
            Say("Добавила кружку, всё сработало!", after=4),
            Reply("sergey", "Отлично! Спасибо за заказ 🙂", after=1, status="solved"),
        ),
    ),
    Conversation(
        channel="vk",
        customer="timofeev",
        start=Day(4, "15:15"),
        steps=(
            Say("Когда будет в наличии палатка Ursa 3 в оранжевом?"),
            Change("sergey", after=12, assign="sergey", tags=("консультация",)),
            Reply(
                "sergey",
                "Здравствуйте, Олег! Поставка Ursa 3 ожидается в течение 10 дней. Могу "
                "оставить заявку — напишем, как только палатка появится. Оставить?",
                after=4,
            ),
            Say("Да, оставьте", after=20),
            Reply(
                "sergey",
                "Готово, заявка оформлена. Напишем сюда, во ВКонтакте.",
                after=2,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="lebedeva",
        start=Day(4, "17:32"),
        subject="Отмена заказа 48196",
        steps=(
            Say(
                "Добрый день! Отмените, пожалуйста, заказ 48196 — нашла такой же рюкзак у "
                "друзей. Оплачивала картой."
            ),
            Change("maria", after=18, assign="maria", tags=("отмена",)),
            Reply(
                "maria",
                "Добрый день, Марина!\n\n"
                "Заказ 48196 отменён — его ещё не успели передать в доставку. 8 900 ₽ "
                "вернутся на карту в течение 3–5 рабочих дней (иногда банку нужно до 10).\n\n"
                "Будем рады видеть вас снова!",
                after=6,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="form",
        customer="zaitsev",
        start=Day(4, "20:14"),
        subject="Не проходит оплата",
        steps=(
            Say(
                "При оплате заказа пишет «Платёж отклонён». Карта рабочая, деньги на ней есть. "
                "Пробовал три раза."
            ),
            Change("katya", after=12 * H + 55, group="billing", assign="katya", tags=("оплата",)),
            Reply(
                "katya",
                "Здравствуйте, Роман!\n\n"
                "По нашим данным, банк отклонил платёж на этапе подтверждения 3-D Secure — так "
                "бывает, если код из СМС не был введён или банк заподозрил мошенничество. "
                "Попробуйте, пожалуйста:\n"
                "1) оплатить через СБП — это быстрее и без кода;\n"
                "2) или позвонить в банк и разрешить покупки в интернете.\n\n"
                "Заказ 48201 держим за вами 3 дня.",
                after=7,
                status="pending",
            ),
            Say("Оплатил через СБП, всё прошло.", after=2 * H),
            Reply(
                "katya",
                "Отлично, оплата поступила! Заказ передан на сборку.",
                after=15,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="rudenko",
        start=Day(4, "13:25"),
        steps=(
            Say(
                "Здравствуйте, можно поменять пункт выдачи в заказе 48188? Я переехала, "
                "удобнее Boxberry на Профсоюзной"
            ),
            Change("sergey", after=8, assign="sergey", tags=("изменение-заказа", "доставка")),
            Reply("sergey", "Здравствуйте, Татьяна! Сейчас проверю, успеваем ли.", after=4),
            Reply(
                "sergey",
                "Успели: заказ 48188 поедет в пункт Boxberry на Профсоюзной, 56. Срок тот же — "
                "послезавтра. Когда посылка придёт, вы получите СМС с кодом.",
                after=6,
                status="solved",
            ),
        ),
    ),
    # --- three days ago -------------------------------------------------------------------
    Conversation(
        channel="mail",
        customer="morozov",
        start=Day(3, "09:58"),
        subject="Пришёл мятый термос",
        steps=(
            Say(
                "Здравствуйте.\n\n"
                "Получил заказ 48172: термос Kettle 1 л с вмятиной на боку, коробка тоже "
                "помята. Фото прилагаю. Хочу замену.",
                files=("термос_вмятина.png",),
            ),
            Change("maria", after=25, assign="maria", group="refunds", tags=("брак", "обмен")),
            Reply(
                "maria",
                "Здравствуйте, Алексей!\n\n"
                "Извините, такого быть не должно — похоже, посылку повредили при перевозке. "
                "Мы отправим новый термос сегодня, а мятый курьер заберёт при доставке. "
                "Ничего доплачивать не нужно.\n\n"
                "Новый заказ — 48214, курьер привезёт его завтра с 10 до 18.",
                after=5,
                status="pending",
            ),
            Note(
                "maria",
                "Оформила претензию в СДЭК на повреждение при перевозке, фото приложила.",
                after=3,
            ),
            Say("Термос получил, всё целое. Спасибо за быструю замену!", after=D + 6 * H),
            Reply(
                "maria",
                "Спасибо, что сообщили! Хорошего чая в походах ☕",
                after=12,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="tg",
        customer="nikita",
        start=Day(3, "11:12"),
        steps=(
            Say(
                "После обновления приложение вылетает сразу при открытии каталога. Android 14, "
                "Samsung A54",
                files=("ошибка_приложения.png",),
            ),
            Change("dmitry", after=10, group="tech", assign="igor", tags=("приложение",)),
            Reply(
                "igor",
                "Здравствуйте, Никита! Спасибо за скриншот. Это ошибка версии 2.8.0 на "
                "Android 14, исправление выйдет в 2.8.1. Пока можно обойти так: Настройки → "
                "Приложения → Тропа → Память → «Очистить кэш». Каталог после этого откроется.",
                after=14,
            ),
            Say(
                "Кэш почистил, каталог открывается, но при переходе в корзину опять вылетает",
                after=20,
            ),
            Note(
                "igor",
                "Корзина падает с тем же NullPointerException, что в MOB-482. Мобильная "
                "команда обещает 2.8.1 в течение нескольких дней. Ставлю на удержание до "
                "релиза.",
                after=15,
            ),
            Reply(
                "igor",
                "Никита, корзина падает из-за той же ошибки, кэш тут, к сожалению, не "
                "поможет. Пока исправление не вышло, заказ можно оформить на сайте — корзина "
                "у аккаунта общая, товары там уже есть. Я напишу вам сюда, как только 2.8.1 "
                "появится в Google Play.",
                after=3,
            ),
            Change("igor", after=1, status="on-hold"),
        ),
    ),
    Conversation(
        channel="chat",
        customer="sofia",
        start=Day(3, "14:36"),
        language="en",
        steps=(
            Say("Hello, is the Taiga -10 rated -10 comfort or extreme? I sleep cold"),
            Change("olivia", after=2, assign="olivia", tags=("консультация", "english")),
            Reply(
                "olivia",
                "Hi Sofia! -10 °C is the limit temperature (EN 13537); the comfort rating is "
                "-4 °C. If you sleep cold, I'd look at the Taiga -18: comfort -10 °C, and it's "
                "only 300 g heavier.",
                after=2,
            ),
            Say("Ok, and do you have it in the long size? I'm 182 cm", after=3),
            Reply(
                "olivia",
                "Yes, Taiga -18 Long fits people up to 195 cm, and it's in stock in Moscow.",
                after=2,
            ),
            Say("Great, ordering now 🙂", after=2),
            Change("olivia", after=5, status="solved"),
        ),
    ),
    Conversation(
        channel="mail",
        customer="frolova",
        start=Day(3, "12:05"),
        subject="Чек для бухгалтерии",
        steps=(
            Say(
                "Здравствуйте! Подскажите, где взять кассовый чек по заказу 48175? Нужно "
                "отчитаться на работе за командировку."
            ),
            Change("katya", after=55, assign="katya", group="billing", tags=("документы",)),
            Reply(
                "katya",
                "Здравствуйте, Ксения!\n\n"
                "Электронный чек приходил на вашу почту при оплате, а ещё его можно скачать в "
                "личном кабинете: «Мои заказы» → 48175 → «Чек». Продублировала чек письмом "
                "на этот адрес.\n\n"
                "Если бухгалтерии нужна товарная накладная, напишите — подготовим.",
                after=5,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="vk",
        customer="savelyev",
        start=Day(3, "21:47"),
        steps=(
            Say("Будет ли у вас распродажа в ближайшее время? Присматриваю рюкзак"),
            Change(
                "sergey",
                after=11 * H + 25,
                assign="sergey",
                priority="low",
                tags=("консультация",),
            ),
            Reply(
                "sergey",
                "Здравствуйте, Денис! Даты распродаж заранее не объявляем, но подписчики "
                "рассылки узнают о них первыми. А на первый заказ действует промокод "
                "ПЕРВЫЙ10 — скидка 10%.",
                after=3,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="kamila",
        start=Day(3, "16:20"),
        steps=(
            Say(
                "Здравствуйте! Заказ 48230 — в трекинге доставка через 3 дня, а я улетаю "
                "послезавтра утром. Можно как-то ускорить??"
            ),
            Change("maria", after=4, assign="maria", priority="urgent", tags=("доставка",)),
            Reply(
                "maria", "Здравствуйте, Камила! Сейчас узнаю на складе, что можно сделать.", after=2
            ),
            Note(
                "maria",
                "Дима, 48230 ещё на складе в Подольске. Отправим срочным курьером завтра? Это "
                "около 900 ₽ за наш счёт.",
                after=8,
            ),
            Note("dmitry", "Да, отправляй срочным. Клиентке — бесплатно.", after=6),
            Reply(
                "maria",
                "Камила, заберём заказ со склада и отправим срочным курьером: он привезёт его "
                "завтра с 18 до 22. Доплачивать не нужно. Подойдёт такой интервал?",
                after=4,
            ),
            Say("Да, отлично! Спасибо огромное", after=3),
            Reply(
                "maria",
                "Оформила, курьер позвонит заранее. Хорошей поездки!",
                after=2,
                status="pending",
            ),
            Say("Всё привезли, спасибо вам!", after=D + 4 * H),
            Reply("maria", "Ура! Хорошего путешествия ✈️", after=6, status="solved"),
        ),
    ),
    Conversation(
        channel="mail",
        customer="oliver",
        start=Day(3, "10:40"),
        subject="Extra charge on my card",
        language="en",
        steps=(
            Say(
                "Hi,\n\n"
                "I paid 15,400 RUB for order 48207, but my bank statement shows £141.30 plus a "
                "£4.24 'non-sterling transaction fee'. Why was I charged extra? Could you "
                "refund the fee?\n\n"
                "Oliver"
            ),
            Change(
                "olivia", after=35, assign="olivia", group="billing", tags=("оплата", "english")
            ),
            Reply(
                "olivia",
                "Hi Oliver,\n\n"
                "Thanks for writing in, and sorry for the confusion. We charged exactly 15,400 "
                "RUB. The £4.24 is a foreign transaction fee your bank adds when a card is "
                "used in another currency; it doesn't come to us, so unfortunately we can't "
                "refund it.\n\n"
                "For future orders, a card without foreign transaction fees (many travel "
                "cards have none) would avoid it.",
                after=10,
                status="pending",
            ),
            Say("Understood, thanks for explaining.", after=4 * H),
            Change("olivia", after=20, status="solved"),
        ),
    ),
    Conversation(
        channel="form",
        customer="dyakova",
        start=Day(3, "17:05"),
        subject="Оптовые закупки",
        steps=(
            Say(
                "Здравствуйте! У нас прокат снаряжения в Сочи. Интересует закупка 15–20 "
                "палаток и спальников по оптовым ценам. Работаете с юрлицами?"
            ),
            Change("anna", after=20, assign="anna", tags=("юрлицо",)),
            Reply(
                "anna",
                "Здравствуйте, Екатерина!\n\n"
                "Да, работаем: для прокатов есть оптовый прайс и отсрочка платежа. Я передала "
                "ваш запрос менеджеру по работе с компаниями, Виктории Лосевой, — она "
                "напишет вам завтра до 14:00.",
                after=10,
                status="solved",
            ),
            Note("anna", "Переслала Вике в отдел продаж, копия в CRM.", after=2),
        ),
    ),
    # --- two days ago ---------------------------------------------------------------------
    Conversation(
        # The same customer continues in WhatsApp the next day (see below).
        channel="mail",
        customer="andreeva",
        start=Day(2, "10:20"),
        subject="Возврат куртки Nord, заказ 48226",
        steps=(
            Say(
                "Добрый день!\n\n"
                "Куртка Nord женская (заказ 48226) не подошла по фасону, хочу вернуть. Бирки на "
                "месте, не носила. Как оформить возврат?\n\n"
                "Юлия"
            ),
            Change("maria", after=15, group="refunds", tags=("возврат",)),
            Change("katya", after=40, assign="katya"),
            Reply(
                "katya",
                "Добрый день, Юлия!\n\n"
                "Вернуть куртку можно так:\n"
                "1. В личном кабинете откройте заказ 48226 и нажмите «Вернуть товар».\n"
                "2. Отнесите куртку в любой пункт СДЭК и назовите код возврата из заявки — "
                "отправка бесплатная.\n"
                "3. Когда куртка приедет на склад (обычно 2–4 дня), мы вернём 14 990 ₽ на "
                "карту.\n\n"
                "Если будут вопросы — пишите.",
                after=5,
                status="pending",
            ),
            Say(
                "Спасибо, завтра отправлю. Если что, пишите мне лучше в WhatsApp, "
                "+7 916 742-18-35 — почту проверяю редко.",
                after=3 * H,
            ),
            Link("katya", "whatsapp", after=12),
            Note("katya", "Добавила WhatsApp Юлии в карточку клиента.", after=1),
            Change("katya", after=1, status="pending"),
        ),
    ),
    Conversation(
        channel="tg",
        customer="ruslan",
        start=Day(2, "09:35"),
        steps=(
            Say("Не приходит письмо для сброса пароля на сайте. Почта на mail.ru"),
            Change("igor", after=14, group="tech", assign="igor", tags=("вход",)),
            Reply(
                "igor",
                "Здравствуйте, Руслан! Проверьте, пожалуйста, папки «Спам» и «Рассылки» — "
                "Mail.ru иногда кладёт наши письма туда. Письмо приходит с адреса "
                "no-reply@tropa.example. Если его нет, напишите адрес почты — отправлю ссылку "
                "повторно.",
                after=3,
            ),
            Say("В спаме нет. ruslan.gaziev@mail.example", after=6),
            Note(
                "igor",
                "По логам письмо ушло, но Mail.ru ответил 451 (временный отказ). "
                "Переотправил через резервный SMTP.",
                after=4,
            ),
            Reply(
                "igor",
                "Отправил письмо заново, оно придёт в течение пары минут. Ссылка действует 24 "
                "часа.",
                after=2,
            ),
            Say("Пришло, пароль сменил. Спасибо", after=5),
            Reply("igor", "Отлично! Хорошего дня.", after=1, status="solved"),
        ),
    ),
    Conversation(
        channel="chat",
        customer="visitor",
        start=Day(2, "19:52"),
        steps=(
            Say("Вы в выходные работаете? Хочу забрать заказ из шоурума"),
            Change("sergey", after=2, assign="sergey", tags=("консультация",)),
            Reply(
                "sergey",
                "Здравствуйте! Да, шоурум открыт каждый день с 11:00 до 21:00, без выходных. "
                "Чат и поддержка работают с 9:00 до 21:00.",
                after=1,
            ),
            Say("Спасибо", after=1),
            Change("sergey", after=2, status="solved"),
        ),
    ),
    Conversation(
        channel="mail",
        customer="kudryavtsev",
        start=Day(2, "11:08"),
        subject="Куртка промокает",
        steps=(
            Say(
                "Здравствуйте!\n\n"
                "Купил мембранную куртку Nord месяц назад (заказ 47911). После первой стирки "
                "она промокает на плечах уже через 20 минут под дождём. Стирал по инструкции, "
                "средством для мембран. Это брак?\n\n"
                "Сергей"
            ),
            Change("maria", after=30, assign="maria", tags=("гарантия", "брак")),
            Reply(
                "maria",
                "Здравствуйте, Сергей!\n\n"
                "Жаль, что так получилось. Чаще всего после стирки мембране нужна тепловая "
                "активация пропитки: просушите куртку в сушильной машине 20 минут на "
                "деликатном режиме или прогладьте через ткань на слабом нагреве. Если она "
                "продолжит промокать, пришлите, пожалуйста, фото бирки с составом — передадим "
                "в отдел качества.",
                after=8,
                status="pending",
            ),
            Say(
                "Прогладил — не помогло, после душа на плечах мокрые пятна изнутри. Бирка на фото.",
                after=5 * H,
                files=("бирка_куртки.png",),
            ),
            Note(
                "maria",
                "Отправила фото в отдел качества. Похоже на отклеившуюся проклейку швов — у "
                "этой партии уже был такой случай. Обещали ответить до завтрашнего вечера.",
                after=40,
            ),
            Reply(
                "maria",
                "Сергей, спасибо за фото. Передала его в отдел качества, они ответят до "
                "завтрашнего вечера. Если подтвердится брак, заменим куртку или вернём "
                "деньги — на ваш выбор.",
                after=5,
            ),
        ),
    ),
    Conversation(
        # A public complaint on the community's wall; the details move to private messages.
        channel="vk",
        customer="ershov",
        start=Day(2, "13:05"),
        public=True,
        steps=(
            Say(
                "Заказал неделю назад, до сих пор статус «собирается». Вы вообще работаете?? "
                "Деньги взяли, а товара нет"
            ),
            Change("maria", after=9, assign="maria", priority="high", tags=("жалоба", "публично")),
            Reply(
                "maria",
                "Павел, здравствуйте! Очень жаль, что пришлось ждать. Напишите, пожалуйста, "
                "номер заказа нам в личные сообщения сообщества — разберёмся сегодня же.",
                after=3,
            ),
            Say(
                "Ответили в личке, заказ уже отправили. Спасибо за оперативность",
                after=D + 10,
            ),
            Reply(
                "maria",
                "Павел, спасибо, что вернулись и написали! Хорошего похода 🙂",
                after=14,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="vk",
        customer="ershov",
        start=Day(2, "13:24"),
        steps=(
            Say(
                "Пишу по заказу 48241, из комментария. Заказывал палатку и коврик, оплачено картой"
            ),
            Change(
                "maria",
                after=3,
                assign="maria",
                priority="high",
                tags=("доставка", "задержка", "жалоба"),
            ),
            Reply("maria", "Павел, спасибо, что написали. Проверяю заказ.", after=2),
            Note(
                "maria",
                "Склад: 48241 потерялся между сменами — коврик ждал допоставки, палатку так и "
                "не собрали. Договорилась, что отправят сегодня до 18:00.",
                after=10,
            ),
            Reply(
                "maria",
                "Павел, приносим извинения: заказ задержался на складе из-за ожидания коврика, "
                "и нам следовало вас предупредить. Сегодня до 18:00 его отправят СДЭКом, трек "
                "пришлю сюда. В качестве извинения вернём вам 500 ₽ на карту.",
                after=4,
            ),
            Say("Ладно, жду трек", after=4),
            Reply(
                "maria",
                "Заказ отправлен, трек СДЭК: 1034409187. Доставка — послезавтра.",
                after=4 * H + 30,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="daniel",
        start=Day(2, "15:44"),
        language="en",
        steps=(
            Say(
                "Hi, I ordered the Ridge Mid boots in size 44 (order 48236) but the box has "
                "size 42 inside 😕"
            ),
            Change(
                "olivia",
                after=7,
                assign="olivia",
                group="refunds",
                tags=("обмен", "размер", "english"),
            ),
            Reply(
                "olivia",
                "Hi Daniel, I'm so sorry about that — a picking mistake at our warehouse. We'll "
                "send the right pair in size 44, and the courier will take the 42s back at the "
                "same time, free of charge. Would tomorrow between 10:00 and 14:00 work for "
                "you?",
                after=3,
            ),
            Say("Tomorrow I'm at work, could it be the day after, in the evening?", after=30),
            Reply(
                "olivia",
                "Sure: the day after tomorrow, 18:00–22:00. Could you confirm the address is "
                "still the one in order 48236?",
                after=6,
                status="pending",
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="belyakova",
        key="belyakova-double-charge",
        start=Day(2, "12:30"),
        subject="Два списания за один заказ",
        steps=(
            Say(
                "Здравствуйте! С меня дважды списали 3 200 ₽, хотя заказывала один термос. "
                "Пришло два письма с разными номерами заказов: 48244 и 48245."
            ),
            Change(
                "katya",
                after=22,
                assign="katya",
                priority="high",
                group="billing",
                tags=("оплата", "двойное-списание"),
            ),
            Reply(
                "katya",
                "Здравствуйте, Анна!\n\n"
                "Вижу: при оформлении заказ создался дважды (48244 и 48245), и оба оплачены. "
                "Я отменила 48245 и оформила возврат 3 200 ₽ — деньги придут на карту в "
                "течение 3–5 рабочих дней. Термос по заказу 48244 приедет в срок.\n\n"
                "Извините за неудобство!",
                after=6,
                status="solved",
            ),
            Note(
                "katya",
                "Игорь, второй дубль заказа за неделю — похоже, кнопка «Оформить» не "
                "блокируется после нажатия на медленном интернете. Заведёшь задачу?",
                after=3,
            ),
            Note("igor", "Завёл WEB-1193, взяли в ближайший релиз.", after=50),
        ),
    ),
    Conversation(
        channel="form",
        customer="lazarev",
        start=Day(2, "16:10"),
        subject="Не получается войти через VK ID",
        steps=(
            Say(
                "При входе через VK ID на сайте после подтверждения возвращает на страницу "
                "входа, и так по кругу. Safari на Mac."
            ),
            Change("dmitry", after=9, group="tech", assign="igor", tags=("вход",)),
            Reply(
                "igor",
                "Здравствуйте, Артём!\n\n"
                "Спасибо за подробности. Дело было в Safari: он блокировал cookie при "
                "возврате с VK ID. Исправление мы выпустили 20 минут назад — обновите, "
                "пожалуйста, страницу и попробуйте ещё раз.",
                after=25,
                status="pending",
            ),
            Say("Заработало, спасибо!", after=40),
            Reply("igor", "Отлично, рад помочь!", after=5, status="solved"),
        ),
    ),
    Conversation(
        channel="tg",
        customer="vera",
        start=Day(2, "18:15"),
        steps=(
            Say("Можно ли оплатить часть заказа подарочным сертификатом, а остальное картой?"),
            Change("maria", after=5, assign="maria", tags=("оплата", "консультация")),
            Reply(
                "maria",
                "Здравствуйте, Вера! Да, можно: введите номер сертификата в корзине в поле "
                "«Подарочный сертификат», и сумма заказа уменьшится, а остаток оплатите картой "
                "или через СБП. Если сертификат больше суммы заказа, остаток сохранится на нём.",
                after=2,
            ),
            Say("Супер, спасибо!", after=4),
            Change("maria", after=1, status="solved"),
        ),
    ),
    # --- yesterday ------------------------------------------------------------------------
    Conversation(
        channel="b2b",
        customer="gusev",
        start=Day(1, "10:12"),
        subject="Счёт на 20 рюкзаков для турклуба",
        steps=(
            Say(
                "Добрый день!\n\n"
                "Турклуб «Горизонт» хочет закупить 20 рюкзаков Alpina 45 (цвет графит). "
                "Выставьте, пожалуйста, счёт на АНО «Турклуб Горизонт», ИНН 5407123890. Есть "
                "ли скидка при таком объёме?\n\n"
                "Михаил Гусев, завхоз клуба"
            ),
            Change("katya", after=28, assign="katya", tags=("юрлицо",)),
            Reply(
                "katya",
                "Добрый день, Михаил!\n\n"
                "Да, для клубов при заказе от 15 штук скидка 7%. Счёт № 341 на 20 рюкзаков "
                "Alpina 45 графит во вложении: 165 540 ₽ с НДС и скидкой. Рюкзаки есть на "
                "складе, отгрузим на следующий день после оплаты.",
                after=30,
                status="pending",
                files=("Schet_341_Tropa.pdf",),
            ),
            Say("Спасибо! Передал в бухгалтерию, оплатим в течение недели.", after=2 * H + 10),
            Change("katya", after=15, status="pending"),
        ),
    ),
    Conversation(
        # The customer who wrote by email the day before, now in WhatsApp.
        channel="wa",
        customer="andreeva",
        start=Day(1, "12:40"),
        steps=(
            Say(
                "Здравствуйте! Отправила куртку Nord по возврату, накладная СДЭК 1034471902. "
                "Когда вернутся деньги?"
            ),
            Change("maria", after=6, assign="maria", tags=("возврат",)),
            Note(
                "maria",
                "Катя, Юлия вчера писала тебе на почту про этот же возврат. Отвечу ей здесь, "
                "раз она просит WhatsApp, а почтовый тикет оставлю тебе — закроешь, когда "
                "деньги уйдут?",
                after=2,
            ),
            Reply(
                "maria",
                "Здравствуйте, Юлия! Спасибо, вижу накладную. Куртка приедет на склад через "
                "2–3 дня, после проверки вернём 14 990 ₽ на карту — напишу вам сюда, как только "
                "оформим.",
                after=3,
            ),
            Say("Хорошо, спасибо!", after=5),
        ),
    ),
    Conversation(
        channel="chat",
        customer="polina",
        start=Day(1, "11:30"),
        steps=(
            Say("Помогите выбрать палатку на троих для летних походов, бюджет до 25 000"),
            Change("sergey", after=1, assign="sergey", tags=("консультация",)),
            Reply(
                "sergey",
                "Здравствуйте, Полина! В этот бюджет подойдут две модели:\n"
                "• Ursa 3 — 3,4 кг, два входа и два тамбура, 21 900 ₽;\n"
                "• Lynx 3 Light — 2,6 кг, один вход, 24 500 ₽.\n"
                "Если несёте палатку на себе много дней, лучше Lynx — она легче. Если важнее "
                "простор и два входа — Ursa.",
                after=3,
            ),
            Say("А в горах Ursa выдержит ветер?", after=5),
            Reply(
                "sergey",
                "Для летних гор — да: у Ursa алюминиевые дуги и 8 оттяжек, держит ветер до "
                "15 м/с. Для высокогорья выше 3 000 м посоветую четырёхсезонную палатку.",
                after=4,
            ),
            Note(
                "dmitry",
                "Серёж, хороший ответ 👍 Предложи ещё футпринт к Ursa, его часто докупают.",
                after=2,
            ),
            Reply(
                "sergey",
                "И совет: к Ursa есть футпринт (защитное дно) за 2 400 ₽ — он продлевает жизнь "
                "палатке на каменистых стоянках.",
                after=2,
            ),
            Say("Беру Ursa с футпринтом, спасибо!", after=3),
            Change("sergey", after=2, status="solved"),
        ),
    ),
    Conversation(
        channel="mail",
        customer="laura",
        start=Day(1, "09:05"),
        subject="Rain cover missing from my order",
        language="en",
        steps=(
            Say(
                "Hello,\n\n"
                "My Alpina 45 backpack (order 48252) arrived yesterday evening, but the rain "
                "cover listed as included isn't in the box. Can you send it?\n\n"
                "Best regards,\nLaura"
            ),
            Change("olivia", after=42, assign="olivia", tags=("доставка", "english")),
            Reply(
                "olivia",
                "Hi Laura,\n\n"
                "Sorry about that! The rain cover should be in the zipped pocket of the top "
                "lid — it's easy to miss. Could you check there? If it isn't, we'll send one "
                "right away.",
                after=5,
                status="pending",
            ),
            Say("Not in the lid pocket, I checked all the pockets.", after=3 * H),
            Reply(
                "olivia",
                "Thanks for checking, and sorry again. I'm sending a rain cover by courier at "
                "our cost. Could you confirm the delivery address is the same as in order "
                "48252?",
                after=20,
                status="pending",
            ),
        ),
    ),
    Conversation(
        channel="tg",
        customer="artur",
        start=Day(1, "14:50"),
        steps=(
            Say(
                "Оплатил заказ 48266 через СБП, деньги списались, а в заказе статус «Не "
                "оплачен». Что делать?"
            ),
            Change(
                "katya",
                after=5,
                group="billing",
                assign="katya",
                priority="high",
                tags=("оплата",),
            ),
            Reply("katya", "Здравствуйте, Артур! Проверяю платёж, минуту.", after=3),
            Note(
                "katya",
                "Платёж в банке есть, уведомление от СБП не дошло до сайта (сбой у провайдера "
                "с 14:30 до 14:45). Отметила оплату вручную, Игорю сообщила.",
                after=5,
            ),
            Reply(
                "katya",
                "Артур, платёж пришёл, просто уведомление от банка задержалось. Я отметила "
                "заказ 48266 оплаченным, он уже передан на сборку. Извините за беспокойство!",
                after=2,
                status="solved",
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="polyakova",
        start=Day(1, "16:30"),
        subject="Не отображаются бонусные баллы",
        steps=(
            Say(
                "Добрый день. В приложении баланс бонусов 0, хотя на сайте 1 240 баллов. Хочу "
                "потратить их на заказ через приложение."
            ),
            Change("dmitry", after=18, group="tech", tags=("приложение",)),
            Change("igor", after=20, assign="igor"),
            Reply(
                "igor",
                "Здравствуйте, Ирина!\n\n"
                "Похоже, приложение не синхронизировало бонусный счёт. Выйдите, пожалуйста, из "
                "аккаунта и войдите снова — это часто помогает. Если баланс не появится, "
                "напишите модель телефона и версию приложения (Профиль → О приложении).",
                after=10,
                status="pending",
            ),
        ),
    ),
    Conversation(
        channel="vk",
        customer="kravets",
        start=Day(1, "12:05"),
        steps=(
            Say(
                "Здравствуйте, можно вернуть термос, если я открывала упаковку, но им не "
                "пользовалась?"
            ),
            Change("maria", after=10, assign="maria", tags=("возврат",)),
            Reply(
                "maria",
                "Здравствуйте, Алина! Да, можно: главное, чтобы термосом не пользовались и "
                "сохранились товарный вид и комплектация. Вскрытая упаковка — не препятствие. "
                "Возврат оформляется в личном кабинете, отправка через СДЭК бесплатная.",
                after=2,
            ),
            Say("Поняла, спасибо!", after=7),
            Change("maria", after=1, status="solved"),
        ),
    ),
    Conversation(
        # Nobody has answered yet; the customer writes again by email (below, today), and
        # this one is closed as a duplicate of the letter.
        channel="form",
        customer="fedorov",
        key="fedorov-form",
        start=Day(1, "19:40"),
        subject="Возврат палатки Ursa 3",
        steps=(
            Say(
                "Хочу вернуть палатку Ursa 3 из заказа 48247 — в поход идём вдвоём, она "
                "оказалась тяжеловата. Не распаковывали. Как вернуть деньги?"
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="gracheva",
        start=Day(1, "18:40"),
        steps=(
            Say("Курьер так и не приехал, ждала весь день! Заказ 48255"),
            Change("maria", after=4, assign="maria", tags=("доставка", "задержка")),
            Reply(
                "maria",
                "Светлана, здравствуйте! Очень извиняюсь. Служба доставки сообщила, что курьер "
                "не успел по маршруту и перенёс доставку на завтра. Могу предложить интервал с "
                "9 до 13 или с 18 до 22 — какой удобнее?",
                after=6,
            ),
            Say("С 18 до 22", after=7),
            Reply(
                "maria",
                "Записала: завтра, 18:00–22:00, курьер позвонит за час. За ожидание начислили "
                "вам 500 бонусных баллов.",
                after=4,
                status="pending",
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="borisov",
        start=Day(1, "09:20"),
        subject="Сломалась дуга палатки в первом же походе",
        steps=(
            Say(
                "Здравствуйте!\n\n"
                "Первый раз поставили палатку Lynx 3 Light (заказ 48098) — при установке "
                "треснула одна из дуг, фото прилагаю. Ветра не было, ставили по инструкции. "
                "Что можно сделать?\n\n"
                "Николай",
                files=("дуга_палатки.png",),
            ),
            Change("dmitry", after=25, group="tech", assign="igor", tags=("гарантия", "брак")),
            Note(
                "igor",
                "Анна, дуга стоит 1 900 ₽. Отправим новую без возврата сломанной? Гонять "
                "клиента в СДЭК ради неё дороже.",
                after=30,
            ),
            Note(
                "anna",
                "Да, отправляй без возврата. И отметь партию — посмотрим, нет ли других случаев.",
                after=15,
            ),
            Reply(
                "igor",
                "Здравствуйте, Николай!\n\n"
                "Извините за испорченный поход. По фото видно, что это дефект дуги. Мы "
                "бесплатно отправим вам новую — сломанную возвращать не нужно. Посылка уйдёт "
                "сегодня, трек пришлю отдельным письмом.\n\n"
                "Если дуга подведёт ещё раз, заменим палатку целиком.",
                after=10,
                status="solved",
            ),
        ),
    ),
    # --- today ----------------------------------------------------------------------------
    Conversation(
        channel="mail",
        customer="fedorov",
        start=Ago(35),
        subject="Возврат палатки — ответьте, пожалуйста",
        steps=(
            Say(
                "Здравствуйте! Писал через форму на сайте про возврат палатки Ursa 3 (заказ "
                "48247), пока без ответа. Продублирую здесь: палатка не "
                "распакована, хочу вернуть деньги.\n\n"
                "Константин"
            ),
            Change("anna", after=6, group="refunds", tags=("возврат",)),
            CloseDuplicate("anna", duplicate="fedorov-form", after=1),
        ),
    ),
    Conversation(
        channel="mail",
        customer="ilyin",
        start=Ago(26),
        subject="Где заказ 48297?",
        steps=(
            Say(
                "Здравствуйте. Заказ 48297 оплачен пять дней назад, статус «Передан в "
                "доставку» и всё. Трек-номера в письме нет. Подскажите, где посылка?"
            ),
        ),
    ),
    Conversation(
        channel="chat",
        customer="olga_chat",
        start=Ago(12),
        steps=(Say("Здравствуйте! У вас есть подарочные сертификаты на 5000? Можно электронный?"),),
    ),
    Conversation(
        channel="tg",
        customer="fomin",
        start=Ago(41),
        steps=(
            Say("Списали деньги два раза!!! Заказ 48301, 11 450 ₽ ×2"),
            Say("Ау, есть кто?", after=3),
            Change("anna", after=4, priority="high", group="billing", tags=("двойное-списание",)),
            Relate("anna", other="belyakova-double-charge", after=1),
            Note(
                "anna",
                "Второе двойное списание за три дня — связала с обращением Анны Беляковой. "
                "Катя, проверь оба платежа в кабинете эквайринга и напиши в банк, если это "
                "снова их сбой.",
                after=1,
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="priya",
        start=Ago(57),
        language="en",
        steps=(
            Say(
                "Hi! Is it possible to change the delivery address for order 48288? I'll be at "
                "my office tomorrow instead of home."
            ),
        ),
    ),
    Conversation(
        channel="vk",
        customer="samoilov",
        start=Ago(8),
        steps=(Say("А скидка для студентов у вас есть?"),),
    ),
    Conversation(
        channel="form",
        customer="petrenko",
        start=Ago(72),
        subject="Товар не пришёл — верните деньги",
        steps=(
            Say(
                "Заказ 48279 должен был прийти 3 дня назад, трекинг не обновляется неделю. "
                "Прошу вернуть деньги, ждать больше не могу."
            ),
            Change(
                "anna",
                after=10,
                group="refunds",
                priority="high",
                tags=("доставка", "возврат"),
            ),
        ),
    ),
    Conversation(
        channel="mail",
        customer="tkachenko",
        start=Ago(185),
        subject="Сменил телефон — не могу войти в аккаунт",
        steps=(
            Say(
                "Добрый день! Сменил номер телефона, а вход в аккаунт подтверждается СМС на "
                "старый номер. Старой симки уже нет. Как восстановить доступ? В аккаунте "
                "бонусы и история заказов."
            ),
            Change("dmitry", after=22, group="tech", assign="igor", tags=("вход",)),
            Reply(
                "igor",
                "Здравствуйте, Георгий!\n\n"
                "Поможем. Чтобы сменить номер, нам нужно убедиться, что аккаунт ваш. Пришлите, "
                "пожалуйста, ответом на это письмо:\n"
                "• номер любого из ваших последних заказов;\n"
                "• последние 4 цифры карты, которой он оплачен;\n"
                "• новый номер телефона.\n\n"
                "Полный номер карты присылать не нужно.",
                after=35,
                status="pending",
            ),
            Say("Заказ 48190, карта *4417, новый номер +7 921 604-88-13", after=40),
            Note(
                "igor",
                "Данные совпадают с заказом 48190. Дмитрий, смена телефона — с твоего "
                "подтверждения, посмотришь?",
                after=5,
            ),
        ),
    ),
    Conversation(
        channel="chat",
        customer="chris",
        start=Ago(21),
        language="en",
        steps=(
            Say("Hi, does your site accept foreign Visa cards? Mine keeps getting declined"),
            Change("olivia", after=2, assign="olivia", tags=("оплата", "english")),
            Reply(
                "olivia",
                "Hi Chris! Unfortunately, Russian payment providers can't accept cards issued "
                "abroad at the moment. You can pay by SBP from a Russian bank account, or in "
                "cash or with a Russian card at pickup in our showroom.",
                after=1,
            ),
            Say(
                "Hmm, I don't have a Russian account. Can I pay in cash on courier delivery?",
                after=3,
            ),
            Reply(
                "olivia",
                "Yes! Cash on delivery works for courier delivery in Moscow and St Petersburg. "
                "At checkout choose «Courier» and then «Pay on delivery».",
                after=2,
            ),
            Say("Ok let me try", after=2),
        ),
    ),
    Conversation(
        channel="tg",
        customer="yusupova",
        start=Ago(152),
        steps=(
            Say("Здравствуйте, хочу поменять ботинки Ridge Mid 38 на 39, жмут"),
            Change("maria", after=9, assign="maria", group="refunds", tags=("обмен", "размер")),
            Reply(
                "maria",
                "Здравствуйте, Зарина! Поменяем. Вы их уже носили на улице или только мерили "
                "дома? И напишите, пожалуйста, номер заказа.",
                after=3,
            ),
            Say("Только дома мерила. Заказ 48270", after=25),
        ),
    ),
    Conversation(
        channel="mail",
        customer="yakovlev",
        start=Ago(305),
        subject="Жалоба на курьера",
        steps=(
            Say(
                "Здравствуйте.\n\n"
                "Курьер привёз заказ 48284 и вёл себя откровенно грубо: бросил коробку на пол "
                "и отказался ждать, пока я проверю содержимое, хотя у вас написано, что на "
                "проверку есть 15 минут. Прошу разобраться.\n\n"
                "Тимур Яковлев"
            ),
            Change("anna", after=40, assign="anna", priority="high", tags=("жалоба", "доставка")),
            Reply(
                "anna",
                "Здравствуйте, Тимур!\n\n"
                "Спасибо, что написали, и извините — так вести себя курьер не должен. Я "
                "руковожу службой поддержки и сама займусь вашей жалобой: уже запросила у "
                "службы доставки объяснения.\n\n"
                "Подскажите, пожалуйста, всё ли в порядке с самим заказом? Если что-то "
                "повреждено, заменим в первую очередь.",
                after=15,
            ),
            Note(
                "anna",
                "Запросила у «Курьер Сервис Экспресс» объяснительную. Это второй случай с этим "
                "курьером за месяц — подниму вопрос на встрече с ними.",
                after=5,
            ),
            Say(
                "С заказом всё в порядке, коробка цела. Но хотелось бы, чтобы меры приняли.",
                after=55,
            ),
        ),
    ),
    Conversation(
        channel="wa",
        customer="aksenova",
        start=Ago(98),
        steps=(
            Say("Не могу оплатить картой Мир, пишет «ошибка 05»"),
            Change("katya", after=12, group="billing", assign="katya", tags=("оплата",)),
            Reply(
                "katya",
                "Здравствуйте, Людмила! Ошибка 05 означает, что банк отклонил операцию без "
                "объяснения причины. Попробуйте, пожалуйста, оплатить через СБП или уточните в "
                "банке, нет ли ограничения на покупки в интернете. Заказ сохранён, ничего не "
                "пропадёт.",
                after=3,
                status="pending",
            ),
        ),
    ),
    Conversation(
        channel="b2b",
        customer="demidova",
        start=Ago(245),
        subject="УПД за прошлый месяц",
        steps=(
            Say(
                "Добрый день!\n\n"
                "Мы не получили через ЭДО УПД за прошлый месяц по счетам 297 и 305. Пришлите, "
                "пожалуйста, — закрываем период.\n\n"
                "Ольга Демидова, бухгалтер ООО «Вершина Трэвел»"
            ),
            Change("katya", after=30, assign="katya", tags=("юрлицо", "документы")),
            Reply(
                "katya",
                "Добрый день, Ольга!\n\n"
                "Запросила УПД по счетам 297 и 305 в нашей бухгалтерии: документы "
                "подписываются у главного бухгалтера и уйдут к вам через Диадок. Как только "
                "отправят, напишу.",
                after=10,
            ),
            Change("katya", after=2, status="on-hold"),
            Note(
                "katya",
                "Ждём бухгалтерию (Людмила Петровна), обещали подписать завтра.",
                after=1,
            ),
        ),
    ),
    Conversation(
        # The same Natalia as in WhatsApp six days ago, now in Telegram: the number she
        # gives is that customer's, so the desk suggests merging the two.
        channel="tg",
        customer="natasha_tg",
        start=Ago(47),
        steps=(
            Say(
                "Здравствуйте! Это Наталья Громова, я писала вам в WhatsApp с номера "
                "8 912 604-33-18 про зелёный рюкзак из заказа 48117. Теперь удобнее здесь."
            ),
            Say(
                "Рюкзак пришёл, но на нём нет поясного ремня, хотя на фото он есть. Так и "
                "должно быть?",
                after=2,
            ),
        ),
    ),
    Conversation(
        # A missed call with a voicemail: a call-back ticket with the recording. The caller
        # is the customer whose courier did not come yesterday (WhatsApp).
        channel="phone",
        customer="gracheva",
        start=Ago(64),
        steps=(
            Call(
                "voicemail",
                seconds=41,
                recording="https://pbx.tropa.example/recordings/in-79035509126-48255.mp3",
            ),
            Change("maria", after=9, assign="maria", tags=("доставка", "задержка")),
            Note(
                "maria",
                "Это Светлана Грачёва, у которой вчера не было курьера (переписка в "
                "WhatsApp). В сообщении: курьер снова не позвонил. Уточняю у СДЭК и "
                "перезваниваю.",
                after=2,
            ),
        ),
    ),
    Conversation(
        # The web chat's bot answers what it knows and hands the rest to a person.
        channel="chat",
        customer="timur_chat",
        start=Ago(31),
        bot=True,
        steps=(
            Say("Здравствуйте! Сколько идёт доставка до Казани?"),
            Say(
                "Спасибо. А в уже оплаченный заказ 48293 можно добавить газовый баллон? "
                "Хочу, чтобы всё пришло одной посылкой.",
                after=2,
            ),
            Change("sergey", after=3, assign="sergey", tags=("изменение-заказа",)),
            Reply(
                "sergey",
                "Здравствуйте, Тимур! Заказ 48293 ещё не собран, так что добавить можно. "
                "Положил в него баллон Kovea 230 г — доплатить 390 ₽ можно по ссылке, "
                "которая сейчас придёт на почту. Отправим всё одной посылкой.",
                after=2,
            ),
            Say("Оплатил, спасибо!", after=4),
            Reply("sergey", "Вижу оплату. Хорошей дороги!", after=1, status="solved"),
        ),
    ),
)
