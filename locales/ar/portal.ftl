## Shared by every page

common-site-name = Crocevia
common-network-name = شبكة الخدمات المقدَّمة للأجانب
common-tagline = خدمات للأجانب قريبة منك
common-skip-to-content = الانتقال إلى المحتوى
common-language-menu = اللغة
common-main-menu = القائمة الرئيسية
common-nav-home = الصفحة الرئيسية
common-nav-search = البحث عن خدمة
common-nav-credits = مصادر البيانات
common-nav-observatory = المرصد
common-footer-data = تتولى الجهات المشاركة في الشبكة تحديث معلومات الخدمات.
common-staff-login = دخول الموظفين

## Public portal

portal-home-title = المساعدة والخدمات التي تحتاج إليها
portal-home-intro = مكاتب حكومية وجمعيات تساعد الأجانب في: الوثائق، والصحة، والسكن، والعمل، والمدرسة، وغير ذلك الكثير. الخدمات مجانية وبلغتك قدر الإمكان.
portal-home-needs-title = ما الذي تحتاج إليه؟
portal-home-services-count = { $count ->
    [one] خدمة واحدة في الشبكة
    [two] خدمتان في الشبكة
    [few] { $count } خدمات في الشبكة
    [many] { $count } خدمة في الشبكة
   *[other] { $count } خدمة في الشبكة
}
portal-search-title = البحث عن خدمة
portal-search-label = عمّ تبحث؟
portal-search-placeholder = مثلًا: طبيب، تصريح إقامة، دروس اللغة الإيطالية
portal-search-button = بحث
portal-filter-need = نوع الاحتياج
portal-filter-need-any = جميع الاحتياجات
portal-results-count = { $count ->
    [0] لم يتم العثور على أي خدمة. يمكنك تجربة كلمات أخرى أو إزالة أحد عوامل التصفية.
    [one] تم العثور على خدمة واحدة
    [two] تم العثور على خدمتين
    [few] تم العثور على { $count } خدمات
    [many] تم العثور على { $count } خدمة
   *[other] تم العثور على { $count } خدمة
}
portal-filter-comune = البلدية
portal-filter-comune-any = جميع البلديات
portal-filter-language = اللغة المستخدمة
portal-filter-language-any = جميع اللغات
portal-filter-free = الخدمات المجانية فقط
portal-filter-open-now = مفتوح الآن
portal-search-corrected = نعرض أيضًا نتائج «{ $word }» بدلًا من:
portal-search-shortened = كان البحث طويلًا جدًا: بحثنا فقط عن أول { $max } حرفًا. استخدم كلمات قليلة، الكلمات المهمة فقط.
portal-search-verbatim = ابحث عن الكلمات التي كتبتها بالضبط
portal-emergency-title = إذا كنت في خطر الآن
portal-emergency-call = اتصل بـ
portal-emergency-violence = الرقم المخصص لمناهضة العنف والملاحقة 1522: مجاني، ليلًا ونهارًا، وبالعربية والإنجليزية والفرنسية والإسبانية أيضًا. في حالة الطوارئ اتصل بالرقم 112.
portal-emergency-health = في حالة طوارئ طبية اتصل بالرقم 118 (أو 112): الاتصال مجاني، ويردّون عليك حتى لو لم تكن لديك وثائق.
portal-emergency-shelter = إذا كنت في الشارع هذه الليلة وفي خطر، اتصل بالرقم 112. الخدمات أدناه يمكن أن توفر لك مكانًا للنوم.
portal-emergency-trafficking = الرقم الأخضر لمكافحة الاتجار بالبشر 800 290 290: مجاني ودون الكشف عن الهوية، ليلًا ونهارًا، وبعدة لغات.
portal-map-label = خريطة الخدمات التي تم العثور عليها
portal-not-translated = لم يُترجَم هذا النص إلى لغتك بعد، لذلك يظهر باللغة الإيطالية.
portal-free = مجاني
portal-pagination = صفحات النتائج
portal-previous = السابقة
portal-next = التالية
portal-breadcrumb = أنت هنا
portal-temporarily-closed = هذه الخدمة مغلقة مؤقتًا.
portal-service-who = لمن هذه الخدمة
portal-service-how = كيفية الحصول على الخدمة
portal-service-documents = الوثائق المطلوب إحضارها
portal-service-cost = التكلفة
portal-service-hours = مواعيد العمل
portal-open-now = مفتوح الآن
portal-closed-now = مغلق الآن
portal-service-hours-unknown = مواعيد العمل غير محددة: يُرجى التواصل مع الخدمة.
portal-service-languages = اللغات المتحدَّث بها
portal-service-where = المكان
portal-service-address-on-contact = يُعطى العنوان عند التواصل مع الخدمة، حفاظًا على سلامة الأشخاص الذين تستقبلهم.
portal-service-contacts = معلومات الاتصال
portal-service-phone = الهاتف
portal-service-email = البريد الإلكتروني
portal-service-website = الموقع الإلكتروني
portal-service-verified = تم التحقق من المعلومات بتاريخ { $date }
portal-service-never-verified = لم يتم التحقق من المعلومات بعد
portal-service-stale = قد تكون المعلومات قديمة: يُرجى التأكد منها لدى الخدمة
portal-print = طباعة هذه الصفحة
portal-credits-title = مصادر البيانات
portal-credits-intro = يستخدم Crocevia بيانات مفتوحة. نشكر الجهات التي تنشرها؛ وتطلب تراخيصها ذكرها على النحو التالي:
portal-credits-source = المصدر
portal-credits-by = المؤلف
portal-credits-licence = الترخيص
portal-credits-demo = خدمات الشبكة التجريبية (لاكويلا وبارليتا-أندريا-تراني) غير حقيقية، وهي مُعلَّمة بعبارة «Dati dimostrativi» (بيانات تجريبية).

## Days of the week

day-mo = الاثنين
day-tu = الثلاثاء
day-we = الأربعاء
day-th = الخميس
day-fr = الجمعة
day-sa = السبت
day-su = الأحد
common-too-many-title = طلبات كثيرة جدًا
common-too-many-body = وصلت طلبات كثيرة جدًا من اتصالك. حاول مرة أخرى بعد { $seconds } ث.
common-error-title = الصفحة غير متاحة
common-error-not-found = الصفحة التي طلبتها غير موجودة.
common-error-forbidden = ليس لديك إذن لعرض هذه الصفحة.
common-error-bad-request = الطلب غير صالح: تحقق من العنوان أو من البيانات التي أدخلتها.
common-error-server = حدث خطأ من جهتنا. حاول مرة أخرى بعد بضع دقائق.
