## Shared by every page

common-site-name = Crocevia
common-network-name = Services network for foreign nationals
common-tagline = Find services for foreign nationals near you
common-skip-to-content = Skip to content
common-language-menu = Language
common-main-menu = Main menu
common-nav-home = Home
common-nav-search = Find a service
common-nav-credits = Data sources
common-nav-observatory = Observatory
common-footer-data = Service information kept up to date by the network's organisations.
common-staff-login = Staff login

## Public portal

portal-home-title = Find help and services
portal-home-intro = Public offices and associations that help foreign nationals: documents, health, housing, work, school and much more. Free, and in your language where possible.
portal-home-needs-title = What do you need?
portal-home-services-count = { $count ->
    [one] One service in the network
   *[other] { $count } services in the network
}
portal-search-title = Find a service
portal-search-label = What are you looking for?
portal-search-placeholder = For example: doctor, residence permit, Italian course
portal-search-button = Search
portal-filter-need = Kind of need
portal-filter-need-any = All needs
portal-results-count = { $count ->
    [0] No service found. Try other words or remove a filter.
    [one] One service found
   *[other] { $count } services found
}
portal-filter-comune = Town
portal-filter-comune-any = All towns
portal-filter-language = Language spoken
portal-filter-language-any = All languages
portal-filter-free = Free services only
portal-filter-open-now = Open now
portal-search-corrected = Also showing results for “{ $word }” instead of:
portal-search-shortened = Your search was too long: only its first { $max } characters were searched. Use a few words, the ones that matter.
portal-search-verbatim = Search for exactly the words you typed
portal-emergency-title = If you are in danger now
portal-emergency-call = Call
portal-emergency-violence = Anti-violence and stalking helpline 1522: free, day and night, also in English, French, Spanish and Arabic. In an emergency call 112.
portal-emergency-health = For a medical emergency call 118 (or 112): it is free, and they answer even if you have no documents.
portal-emergency-shelter = If you are on the street tonight and in danger, call 112. The services below can offer a place to sleep.
portal-emergency-trafficking = Anti-trafficking helpline 800 290 290: free, anonymous, day and night, in many languages.
portal-map-label = Map of the services found
portal-not-translated = This text is not translated into your language yet: it is shown in Italian.
portal-free = Free of charge
portal-pagination = Result pages
portal-previous = Previous
portal-next = Next
portal-breadcrumb = You are here
portal-temporarily-closed = This service is temporarily closed.
portal-service-who = Who it is for
portal-service-how = How to get it
portal-service-documents = Documents to bring
portal-service-cost = Cost
portal-service-hours = Opening hours
portal-open-now = Open now
portal-closed-now = Closed now
portal-service-hours-unknown = Opening hours not given: contact the service.
portal-service-languages = Languages spoken
portal-service-where = Where
portal-service-address-on-contact = The address is given when you get in touch, to keep the people it shelters safe.
portal-service-contacts = Contacts
portal-service-phone = Phone
portal-service-email = E-mail
portal-service-website = Website
portal-service-verified = Information checked on { $date }
portal-service-never-verified = Information not checked yet
portal-service-stale = May be out of date: check with the service
portal-print = Print this page
portal-credits-title = Data sources
portal-credits-intro = Crocevia uses open data. We thank those who publish it; their licences ask us to credit them like this:
portal-credits-source = Source
portal-credits-by = Author
portal-credits-licence = Licence
portal-credits-demo = The services of the demo network (L'Aquila and Barletta-Andria-Trani) are invented and marked "Dati dimostrativi" (demo data).

## Days of the week

day-mo = Monday
day-tu = Tuesday
day-we = Wednesday
day-th = Thursday
day-fr = Friday
day-sa = Saturday
day-su = Sunday
common-too-many-title = Too many requests
common-too-many-body = Too many requests came from your connection. Try again in { $seconds ->
    [one] one second
   *[other] { $seconds } seconds
}.
common-error-title = This page is not available
common-error-not-found = The page you asked for does not exist.
common-error-forbidden = You are not allowed to see this page.
common-error-bad-request = The request is not valid: check the address or what you entered.
common-error-server = Something went wrong on our side. Please try again in a few minutes.
