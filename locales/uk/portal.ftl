## Shared by every page

common-site-name = Crocevia
common-network-name = Мережа послуг для іноземців
common-tagline = Знайдіть послуги для іноземців поруч із вами
common-skip-to-content = Перейти до основного вмісту
common-language-menu = Мова
common-main-menu = Головне меню
common-nav-home = Головна
common-nav-search = Знайти послугу
common-nav-credits = Джерела даних
common-nav-observatory = Обсерваторія
common-footer-data = Інформацію про послуги оновлюють організації мережі.
common-staff-login = Вхід для працівників

## Public portal

portal-home-title = Знайдіть допомогу та послуги
portal-home-intro = Державні установи та громадські організації, які допомагають іноземцям: документи, здоров’я, житло, робота, школа та багато іншого. Безкоштовно і, де можливо, вашою мовою.
portal-home-needs-title = Що вам потрібно?
portal-home-services-count = { $count ->
    [one] { $count } послуга в мережі
    [few] { $count } послуги в мережі
    [many] { $count } послуг у мережі
   *[other] { $count } послуги в мережі
}
portal-search-title = Знайти послугу
portal-search-label = Що ви шукаєте?
portal-search-placeholder = Наприклад: лікар, дозвіл на проживання, курси італійської мови
portal-search-button = Шукати
portal-filter-need = Тип потреби
portal-filter-need-any = Усі потреби
portal-results-count = { $count ->
    [0] Жодної послуги не знайдено. Спробуйте інші слова або приберіть фільтр.
    [one] Знайдено { $count } послугу
    [few] Знайдено { $count } послуги
    [many] Знайдено { $count } послуг
   *[other] Знайдено { $count } послуги
}
portal-filter-comune = Муніципалітет
portal-filter-comune-any = Усі муніципалітети
portal-filter-language = Мова спілкування
portal-filter-language-any = Усі мови
portal-filter-free = Лише безкоштовні послуги
portal-filter-open-now = Відчинено зараз
portal-search-corrected = Також показуємо результати для «{ $word }» замість:
portal-search-shortened = Запит був задовгим: ми шукали лише перші { $max } символів. Використовуйте кілька слів — тих, що мають значення.
portal-search-verbatim = Шукати саме ті слова, які ви написали
portal-emergency-title = Якщо ви зараз у небезпеці
portal-emergency-call = Зателефонувати
portal-emergency-violence = Лінія проти насильства та переслідування 1522: безкоштовно, вдень і вночі, також англійською, французькою, іспанською та арабською. У надзвичайній ситуації телефонуйте 112.
portal-emergency-health = У разі невідкладного медичного стану телефонуйте 118 (або 112): це безкоштовно, і вам відповідять, навіть якщо у вас немає документів.
portal-emergency-shelter = Якщо цієї ночі ви на вулиці й у небезпеці, телефонуйте 112. Служби нижче можуть надати місце для ночівлі.
portal-emergency-trafficking = Безкоштовна лінія проти торгівлі людьми 800 290 290: анонімно, вдень і вночі, багатьма мовами.
portal-map-label = Карта знайдених послуг
portal-not-translated = Цей текст ще не перекладено вашою мовою, тому його показано італійською.
portal-free = Безкоштовно
portal-pagination = Сторінки результатів
portal-previous = Попередня
portal-next = Наступна
portal-breadcrumb = Ви тут
portal-temporarily-closed = Ця служба тимчасово не працює.
portal-service-who = Для кого
portal-service-how = Як звернутися
portal-service-documents = Які документи взяти з собою
portal-service-cost = Вартість
portal-service-hours = Години роботи
portal-open-now = Зараз відчинено
portal-closed-now = Зараз зачинено
portal-service-hours-unknown = Години роботи не вказано: зв’яжіться зі службою.
portal-service-languages = Мови спілкування
portal-service-where = Де
portal-service-address-on-contact = Адресу повідомлять, коли ви зв’яжетеся зі службою, — для безпеки людей, яких тут приймають.
portal-service-contacts = Контакти
portal-service-phone = Телефон
portal-service-email = Електронна пошта
portal-service-website = Вебсайт
portal-service-verified = Інформацію перевірено { $date }
portal-service-never-verified = Інформацію ще не перевірено
portal-service-stale = Інформація може бути застарілою: уточніть у службі
portal-print = Надрукувати цю сторінку
portal-credits-title = Джерела даних
portal-credits-intro = Crocevia використовує відкриті дані. Дякуємо тим, хто їх публікує; їхні ліцензії вимагають зазначати джерела так:
portal-credits-source = Джерело
portal-credits-by = Автор
portal-credits-licence = Ліцензія
portal-credits-demo = Послуги демонстраційної мережі (Л’Аквіла та Барлетта-Андрія-Трані) вигадані й позначені як «Dati dimostrativi» (демонстраційні дані).

## Days of the week

day-mo = Понеділок
day-tu = Вівторок
day-we = Середа
day-th = Четвер
day-fr = П’ятниця
day-sa = Субота
day-su = Неділя
common-too-many-title = Забагато запитів
common-too-many-body = З вашого з’єднання надійшло забагато запитів. Спробуйте ще раз через { $seconds } с.
common-error-title = Сторінка недоступна
common-error-not-found = Сторінки, яку ви шукаєте, не існує.
common-error-forbidden = У вас немає дозволу переглядати цю сторінку.
common-error-bad-request = Запит недійсний: перевірте адресу або введені дані.
common-error-server = Щось пішло не так з нашого боку. Спробуйте ще раз за кілька хвилин.
