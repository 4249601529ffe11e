# Les pages de la personne qui répond à un questionnaire.
respond-page = Page
respond-next = Suivant
respond-back = Retour
respond-send = Envoyer
respond-add = Ajouter
respond-remove = Supprimer
respond-other = Autre
respond-other-specify = Si autre, précisez
respond-errors = Certaines réponses demandent votre attention :
respond-error-required = Cette réponse est obligatoire.
respond-error-constraint = Cette réponse n'est pas acceptée.
respond-error-integer = Écrivez un nombre entier.
respond-error-decimal = Écrivez un nombre.
respond-error-date = Écrivez une date.
respond-error-time = Écrivez une heure.
respond-error-choice = Choisissez une des options.
respond-form-language = Langue du questionnaire
respond-resume = Vos réponses sont enregistrées. Pour continuer plus tard, gardez ce lien :
respond-resume-link = continuer le questionnaire
respond-thanks-title = Merci
respond-thanks = Vos réponses ont été envoyées.
respond-closed-title = Questionnaire indisponible
respond-closed = Ce questionnaire est fermé.
respond-not-found = Il n'y a aucun questionnaire à cette adresse.
respond-status-updated = Les questions ont été mises à jour.
respond-status-errors =
    { $count ->
        [one] Une réponse à vérifier.
       *[other] { $count } réponses à vérifier.
    }
