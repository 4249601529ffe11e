## Shared by every page

common-site-name = Crocevia
common-network-name = Rete dei servizi per i cittadini stranieri
common-tagline = Trova i servizi per cittadini stranieri vicino a te
common-skip-to-content = Vai al contenuto
common-language-menu = Lingua
common-main-menu = Menu principale
common-nav-home = Home
common-nav-search = Cerca un servizio
common-nav-credits = Fonti dei dati
common-nav-observatory = Osservatorio
common-footer-data = Dati dei servizi curati dagli enti della rete.
common-staff-login = Area riservata agli operatori

## Public portal

portal-home-title = Trova aiuto e servizi
portal-home-intro = Uffici pubblici e associazioni che aiutano le persone straniere: documenti, salute, casa, lavoro, scuola e molto altro. Gratis e nella tua lingua, dove possibile.
portal-home-needs-title = Di che cosa hai bisogno?
portal-home-services-count = { $count ->
    [one] Un servizio nella rete
   *[other] { $count } servizi nella rete
}
portal-search-title = Cerca un servizio
portal-search-label = Che cosa cerchi?
portal-search-placeholder = Per esempio: medico, permesso di soggiorno, corso di italiano
portal-search-button = Cerca
portal-filter-need = Tipo di bisogno
portal-filter-need-any = Tutti i bisogni
portal-results-count = { $count ->
    [0] Nessun servizio trovato. Prova con altre parole o togli un filtro.
    [one] Un servizio trovato
   *[other] { $count } servizi trovati
}
portal-filter-comune = Comune
portal-filter-comune-any = Tutti i comuni
portal-filter-language = Lingua parlata
portal-filter-language-any = Tutte le lingue
portal-filter-free = Solo servizi gratuiti
portal-filter-open-now = Aperti adesso
portal-search-corrected = Risultati anche per «{ $word }» invece di:
portal-search-shortened = La ricerca era troppo lunga: abbiamo cercato solo i primi { $max } caratteri. Usa poche parole, quelle che contano.
portal-search-verbatim = Cerca esattamente le parole che hai scritto
portal-emergency-title = Se sei in pericolo adesso
portal-emergency-call = Chiama
portal-emergency-violence = Numero antiviolenza e stalking 1522: gratuito, giorno e notte, anche in inglese, francese, spagnolo e arabo. In un'emergenza chiama il 112.
portal-emergency-health = Per un'emergenza medica chiama il 118 (o il 112): è gratuito e rispondono anche se non hai documenti.
portal-emergency-shelter = Se stanotte sei per strada e sei in pericolo, chiama il 112. I servizi qui sotto possono offrire un posto per dormire.
portal-emergency-trafficking = Numero verde antitratta 800 290 290: gratuito, anonimo, giorno e notte, in molte lingue.
portal-map-label = Mappa dei servizi trovati
portal-not-translated = Questo testo non è ancora tradotto nella tua lingua: è mostrato in italiano.
portal-free = Gratuito
portal-pagination = Pagine dei risultati
portal-previous = Precedente
portal-next = Successiva
portal-breadcrumb = Percorso
portal-temporarily-closed = Questo servizio è chiuso temporaneamente.
portal-service-who = A chi si rivolge
portal-service-how = Come accedere
portal-service-documents = Documenti da portare
portal-service-cost = Costo
portal-service-hours = Orari
portal-open-now = Aperto adesso
portal-closed-now = Chiuso adesso
portal-service-hours-unknown = Orari non indicati: contatta il servizio.
portal-service-languages = Lingue parlate
portal-service-where = Dove
portal-service-address-on-contact = Indirizzo fornito al momento del contatto, per la sicurezza delle persone accolte.
portal-service-contacts = Contatti
portal-service-phone = Telefono
portal-service-email = E-mail
portal-service-website = Sito web
portal-service-verified = Informazioni verificate il { $date }
portal-service-never-verified = Informazioni non ancora verificate
portal-service-stale = Da verificare: controlla con il servizio
portal-print = Stampa questa pagina
portal-credits-title = Fonti dei dati
portal-credits-intro = Crocevia usa dati aperti. Ringraziamo chi li pubblica; le licenze chiedono di citarli così:
portal-credits-source = Fonte
portal-credits-by = Autore
portal-credits-licence = Licenza
portal-credits-demo = I servizi della rete dimostrativa (L'Aquila e Barletta-Andria-Trani) sono inventati e segnati come "Dati dimostrativi".

## Days of the week

day-mo = Lunedì
day-tu = Martedì
day-we = Mercoledì
day-th = Giovedì
day-fr = Venerdì
day-sa = Sabato
day-su = Domenica
common-too-many-title = Troppe richieste
common-too-many-body = Sono arrivate troppe richieste dalla tua connessione. Riprova tra { $seconds ->
    [one] un secondo
   *[other] { $seconds } secondi
}.
common-error-title = Pagina non disponibile
common-error-not-found = La pagina richiesta non esiste.
common-error-forbidden = Non hai il permesso di vedere questa pagina.
common-error-bad-request = La richiesta non è valida: controlla l'indirizzo o i dati inseriti.
common-error-server = Qualcosa non ha funzionato da parte nostra. Riprova tra qualche minuto.
