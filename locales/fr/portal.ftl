## Shared by every page

common-site-name = Crocevia
common-network-name = Réseau des services pour les personnes étrangères
common-tagline = Trouvez des services pour les personnes étrangères près de chez vous
common-skip-to-content = Aller au contenu
common-language-menu = Langue
common-main-menu = Menu principal
common-nav-home = Accueil
common-nav-search = Chercher un service
common-nav-credits = Sources des données
common-nav-observatory = Observatoire
common-footer-data = Informations sur les services tenues à jour par les organismes du réseau.
common-staff-login = Accès du personnel

## Public portal

portal-home-title = Trouver de l'aide et des services
portal-home-intro = Des bureaux publics et des associations qui aident les personnes étrangères : papiers, santé, logement, travail, école et bien plus encore. Gratuit et dans votre langue, quand c'est possible.
portal-home-needs-title = De quoi avez-vous besoin ?
portal-home-services-count = { $count ->
    [one] { $count } service dans le réseau
   *[other] { $count } services dans le réseau
}
portal-search-title = Chercher un service
portal-search-label = Que cherchez-vous ?
portal-search-placeholder = Par exemple : médecin, titre de séjour, cours d'italien
portal-search-button = Chercher
portal-filter-need = Type de besoin
portal-filter-need-any = Tous les besoins
portal-results-count = { $count ->
    [0] Aucun service trouvé. Essayez avec d'autres mots ou enlevez un filtre.
    [one] Un service trouvé
   *[other] { $count } services trouvés
}
portal-filter-comune = Commune
portal-filter-comune-any = Toutes les communes
portal-filter-language = Langue parlée
portal-filter-language-any = Toutes les langues
portal-filter-free = Services gratuits uniquement
portal-filter-open-now = Ouvert maintenant
portal-search-corrected = Résultats aussi pour « { $word } » au lieu de :
portal-search-shortened = Votre recherche était trop longue : seuls ses { $max } premiers caractères ont été cherchés. Utilisez quelques mots, ceux qui comptent.
portal-search-verbatim = Chercher exactement les mots que vous avez écrits
portal-emergency-title = Si vous êtes en danger maintenant
portal-emergency-call = Appeler le
portal-emergency-violence = Numéro contre les violences et le harcèlement 1522 : gratuit, jour et nuit, aussi en anglais, français, espagnol et arabe. En cas d'urgence, appelez le 112.
portal-emergency-health = Pour une urgence médicale, appelez le 118 (ou le 112) : c'est gratuit, et on vous répond même sans papiers.
portal-emergency-shelter = Si vous êtes dehors cette nuit et en danger, appelez le 112. Les services ci-dessous peuvent offrir un endroit où dormir.
portal-emergency-trafficking = Numéro vert contre la traite 800 290 290 : gratuit, anonyme, jour et nuit, en plusieurs langues.
portal-map-label = Carte des services trouvés
portal-not-translated = Ce texte n'est pas encore traduit dans votre langue : il est affiché en italien.
portal-free = Gratuit
portal-pagination = Pages de résultats
portal-previous = Précédente
portal-next = Suivante
portal-breadcrumb = Vous êtes ici
portal-temporarily-closed = Ce service est temporairement fermé.
portal-service-who = Pour qui
portal-service-how = Comment y accéder
portal-service-documents = Documents à apporter
portal-service-cost = Coût
portal-service-hours = Horaires
portal-open-now = Ouvert maintenant
portal-closed-now = Fermé maintenant
portal-service-hours-unknown = Horaires non indiqués : contactez le service.
portal-service-languages = Langues parlées
portal-service-where = Où
portal-service-address-on-contact = L'adresse vous est donnée quand vous prenez contact, pour la sécurité des personnes accueillies.
portal-service-contacts = Contacts
portal-service-phone = Téléphone
portal-service-email = E-mail
portal-service-website = Site web
portal-service-verified = Informations vérifiées le { $date }
portal-service-never-verified = Informations pas encore vérifiées
portal-service-stale = Peut-être pas à jour : vérifiez auprès du service
portal-print = Imprimer cette page
portal-credits-title = Sources des données
portal-credits-intro = Crocevia utilise des données ouvertes. Nous remercions celles et ceux qui les publient ; leurs licences demandent de les citer ainsi :
portal-credits-source = Source
portal-credits-by = Auteur
portal-credits-licence = Licence
portal-credits-demo = Les services du réseau de démonstration (L'Aquila et Barletta-Andria-Trani) sont inventés et marqués « Dati dimostrativi » (données de démonstration).

## Days of the week

day-mo = Lundi
day-tu = Mardi
day-we = Mercredi
day-th = Jeudi
day-fr = Vendredi
day-sa = Samedi
day-su = Dimanche
common-too-many-title = Trop de demandes
common-too-many-body = Trop de demandes sont arrivées depuis votre connexion. Réessayez dans { $seconds ->
    [one] une seconde
   *[other] { $seconds } secondes
}.
common-error-title = Page non disponible
common-error-not-found = La page demandée n'existe pas.
common-error-forbidden = Vous n'êtes pas autorisé à voir cette page.
common-error-bad-request = La demande n'est pas valide : vérifiez l'adresse ou les données saisies.
common-error-server = Un problème est survenu de notre côté. Réessayez dans quelques minutes.
