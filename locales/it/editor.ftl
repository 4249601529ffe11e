# Area riservata: modifica di servizi e sedi, importazione, registro delle modifiche. Italiano e inglese sono completi.
ed-service-new = Nuovo servizio
ed-service-new-title = Nuovo servizio
ed-service-edit-title = Modifica «{ $name }»
ed-edit = Modifica
ed-save = Salva
ed-cancel = Annulla
ed-saved = Salvato. Le pagine pubbliche e la ricerca mostrano già la modifica.
ed-view-public = Vedi la pagina pubblica
ed-errors-title = Non è stato salvato nulla: correggi questi campi
ed-yes = Sì
ed-no = No
ed-section-about = Il servizio
ed-service-name = Nome
ed-service-alternate-name = Altro nome o sigla
ed-service-description = Che cosa offre
ed-service-description-hint = In parole semplici, per chi è appena arrivato in Italia: che cosa fa il servizio e come aiuta.
ed-service-eligibility = A chi si rivolge
ed-service-application = Come accedere
ed-service-fees = Costo
ed-service-fees-hint = Scrivi «gratuito» quando non si paga: il filtro «gratuito» del portale lo legge.
ed-service-url = Sito web
ed-service-url-hint = L'indirizzo completo, che inizia con https://
ed-service-email = E-mail
ed-service-status = Stato
ed-section-needs = Bisogni a cui risponde
ed-section-needs-hint = Seleziona ogni bisogno a cui il servizio risponde: le persone lo trovano così, in ogni lingua.
ed-need-general = In generale
ed-section-languages = Lingue parlate
ed-languages-other = Altre lingue
ed-languages-other-hint = Codici ISO 639 separati da virgole, per esempio: tr, hi, ig
ed-section-hours = Orari di apertura
ed-section-hours-hint = Una riga per ogni fascia oraria: seleziona i giorni e indica gli orari. Le righe vuote sono ignorate; svuota una riga per toglierla.
ed-slot-legend = Fascia { $number }
ed-slot-days = Giorni
ed-slot-opens = Apre alle
ed-slot-closes = Chiude alle
ed-slot-note = Nota (per esempio: su appuntamento)
ed-other-hours = Altri orari, lasciati come sono (si modificano con l'API o un'importazione):
ed-section-locations = Dove si svolge
ed-locations-none = La tua organizzazione non ha ancora sedi.
ed-locations-manage = Gestisci le sedi della tua organizzazione
ed-section-translations = Traduzioni
ed-section-translations-hint = Nome e descrizione in altre lingue. Dove manca una traduzione, i visitatori vedono il testo italiano con un avviso.
ed-translation-name = Nome
ed-translation-description = Descrizione
ed-mark-verified = Ho controllato tutto: segna il servizio come verificato oggi
ed-error-required = Campo obbligatorio.
ed-error-email = Scrivi un indirizzo e-mail come sportello@comune.it.
ed-error-url = Scrivi l'indirizzo completo, che inizia con https://
ed-error-language-code = «{ $code }» non è un codice di lingua: usa due o tre lettere minuscole (ISO 639).
ed-error-unknown-need = «{ $code }» non è un bisogno della tassonomia.
ed-error-not-your-location = Una delle sedi scelte non appartiene alla tua organizzazione.
ed-error-slot-days = Seleziona almeno un giorno.
ed-error-slot-order = L'orario di chiusura deve venire dopo quello di apertura.
ed-error-time = Scrivi un orario in ore e minuti, per esempio 09:30.
ed-locations-title = Le sedi della mia organizzazione
ed-location-new = Nuova sede
ed-location-edit-title = Modifica «{ $name }»
ed-location-name = Nome
ed-location-description = Descrizione
ed-location-address = Indirizzo
ed-location-postal-code = CAP
ed-location-comune = Comune
ed-location-comune-hint = Il nome del comune, con la sigla della provincia tra parentesi se più comuni hanno lo stesso nome, per esempio «Samone (TN)»; oppure il codice ISTAT.
ed-location-latitude = Latitudine
ed-location-longitude = Longitudine
ed-location-coordinates-hint = Facoltative: senza, mappe e distanze usano il centro del comune.
ed-location-confidential = Indirizzo riservato
ed-location-confidential-hint = Per case rifugio e servizi di protezione: il pubblico non vede mai indirizzo e posizione, solo «indirizzo fornito al contatto».
ed-error-comune-unknown = Nessun comune ha questo nome o codice.
ed-error-comune-ambiguous = Più comuni hanno questo nome: scrivi uno tra { $choices }.
ed-error-postal-code = Il CAP ha cinque cifre.
ed-error-coordinates = Non è una posizione in Italia: scrivi i gradi con il punto decimale, per esempio 42.3498.
ed-error-coordinates-both = Indica sia la latitudine sia la longitudine, oppure nessuna delle due.

im-title = Importa un pacchetto HSDS
im-intro-network = Carica i file CSV di un pacchetto HSDS 3.0 (con o senza datapackage.json) oppure file JSON HSDS. Prima si controlla tutto: se una riga ha un problema non si importa nulla e si elencano tutti i problemi.
im-intro-organisation = Carica i file CSV di un pacchetto HSDS 3.0 oppure file JSON HSDS con i dati della tua organizzazione. Prima si controlla tutto: se una riga ha un problema non si importa nulla e si elencano tutti i problemi.
im-files = File
im-files-hint = CSV (services.csv, locations.csv, …) o JSON. Fino a 64 MB in tutto.
im-replace = Sostituisci i dati già presenti (altrimenti vengono rifiutati)
im-submit = Controlla e importa
im-busy = Controllo e importazione in corso… per i pacchetti grandi può servire un minuto.
im-no-files = Scegli almeno un file.
im-done = { $count ->
    [one] Importazione riuscita: una riga scritta.
   *[other] Importazione riuscita: { $count } righe scritte.
}
im-unchanged = { $count ->
    [one] Una riga era già presente, invariata.
   *[other] { $count } righe erano già presenti, invariate.
}
im-already = { $count ->
    [one] Nulla da fare: la riga è già nell'elenco, invariata. Seleziona «sostituisci» per scriverla di nuovo.
   *[other] Nulla da fare: tutte le { $count } righe sono già nell'elenco, invariate. Seleziona «sostituisci» per scriverle di nuovo.
}
im-too-large = I file insieme superano { $max } MiB, il massimo per un'importazione. Dividi il pacchetto in importazioni più piccole (un'organizzazione alla volta), o chiedi a un amministratore di usare crocevia import hsds.
im-too-many-files = Un'importazione accetta al massimo { $max } file: le tabelle CSV di un pacchetto HSDS e il suo datapackage.json, o file JSON HSDS. Invia meno file alla volta.
im-refused = { $count ->
    [one] Non è stato importato nulla: un problema da correggere.
   *[other] Non è stato importato nulla: { $count } problemi da correggere.
}
im-problems-caption = Problemi trovati, per file e riga
im-more-problems = { $count ->
    [one] … e un altro problema.
   *[other] … e altri { $count } problemi.
}
im-col-file = File
im-col-row = Riga
im-col-field = Campo
im-col-reason = Problema
im-col-detail = Dettaglio
im-warnings = Note
im-code-already-exists = Esiste già un dato con questo id.
im-code-conflicting-duplicate = Lo stesso id compare due volte con valori diversi.
im-code-dangling-reference = Rimanda a un dato che non esiste.
im-code-invalid-csv = Il file CSV non si può leggere.
im-code-invalid-json = Il JSON non si può leggere come HSDS.
im-code-missing-required = Manca un valore obbligatorio.
im-code-not-a-uuid = Un id non è un UUID.
im-code-uri-scheme-not-allowed = Un indirizzo web deve iniziare con http:// o https://.
im-code-wrong-value = Un valore non è ammesso qui.
im-code-unknown-table = Il file non è una tabella HSDS.
im-code-not-your-organisation = Il dato appartiene a un'altra organizzazione.
im-code-other = La riga non si può importare.

au-title = Registro delle modifiche
au-intro = Ogni modifica all'elenco dei servizi, dalla più recente: chi l'ha fatta, quando e su che cosa.
au-none = Ancora nessuna modifica.
au-col-when = Quando
au-col-who = Chi
au-col-what = Modifica
au-col-record = Dato
au-older = Modifiche precedenti
au-op-upsert = Salvato
au-op-delete = Eliminato
au-other-organisation = Un account di un'altra organizzazione
au-deleted-account = Un account eliminato
au-api-token = Token API «{ $label }»
au-import = Importazione da riga di comando
au-demo = Dati dimostrativi
bo-nav-audit = Registro delle modifiche

ac-title = Le persone della mia organizzazione
ac-col-name = Nome
ac-col-email = E-mail
ac-col-role = Ruolo
ac-locked = Bloccato dopo accessi falliti
ac-reset = Nuova password
ac-add = Aggiungi una persona
ac-add-submit = Aggiungi
ac-issued = Password per { $email }:
ac-issued-hint = Si vede solo ora: consegnala alla persona, che dovrebbe cambiarla al primo accesso («La mia password»). Le sue sessioni precedenti sono terminate.
ac-error-email-taken = Esiste già un account con questa e-mail.
ac-role-admin = Amministratore
ac-role-coordinator = Coordinamento di rete
ac-role-editor = Redattore
ac-role-operator = Operatore di sportello
ac-role-analyst = Analista
ac-password-title = La mia password
ac-password-current = Password attuale
ac-password-new = Nuova password
ac-password-new-hint = Almeno 12 caratteri; una frase che ricordi va benissimo.
ac-password-repeat = Ripeti la nuova password
ac-password-submit = Cambia password
ac-password-changed = Password cambiata. Le tue altre sessioni sono terminate.
ac-error-current = La password attuale non è corretta.
ac-error-short = { $count ->
    [one] La nuova password deve avere almeno un carattere.
   *[other] La nuova password deve avere almeno { $count } caratteri.
}
ac-error-repeat = Le due nuove password sono diverse.
bo-nav-password = La mia password
bo-nav-accounts = Persone

# Il registro degli accessi ai dati personali (la pagina del registro con ?trail=personal).
au-pd-link = Registro degli accessi ai dati personali: chi ha letto, modificato, esportato o tentato di leggere le schede delle persone, accessi e reimpostazioni di password
au-pd-directory-link = Modifiche all'elenco dei servizi
au-pd-title = Registro degli accessi ai dati personali
au-pd-intro = Ogni accesso alle schede delle persone, le esportazioni e le analisi dei questionari, le letture rifiutate di schede di altre organizzazioni, gli accessi e le reimpostazioni di password, dal più recente. Le voci sono sigillate: «crocevia audit verify» mostra se qualcuna è stata modificata o rimossa.
au-pd-none = Ancora nessuna voce.
au-pd-col-action = Azione
au-pd-col-subject = Su
au-pd-col-person = Persona
au-pd-col-detail = Dettaglio
au-pd-read = Lettura
au-pd-create = Creazione
au-pd-update = Modifica
au-pd-share = Condivisione con un'altra organizzazione
au-pd-export = Esportazione
au-pd-erase = Cancellazione
au-pd-analyse = Analisi
au-pd-refused = Lettura rifiutata (scheda di un'altra organizzazione)
au-pd-login = Accesso
au-pd-login-failed = Accesso non riuscito
au-pd-password-reset = Password reimpostata
au-pd-kind-contact = Persona
au-pd-kind-need = Bisogno
au-pd-kind-referral = Invio
au-pd-kind-survey = Questionario
au-pd-kind-account = Account
au-pd-anonymous = Utente non autenticato
au-pd-system = Il server (attività programmate)
au-pd-command-line = Riga di comando
