# Questionari: il back office (sv-, italiano e inglese) e le pagine di chi risponde (respond-, tutte le lingue del portale).
sv-nav = Questionari
sv-title = Questionari
sv-intro = Questionari di rilevazione dei bisogni progettati come XLSForm (i fogli di calcolo di KoboToolbox e ODK). Carica un modulo, pubblica una versione e condividi il suo link.
sv-intro-analyst = Le analisi dei questionari della tua organizzazione, versione per versione, con i conteggi piccoli nascosti. Le risposte una per una le esporta chi gestisce il questionario.
sv-none = La tua organizzazione non ha ancora questionari.
sv-list-caption = I questionari della tua organizzazione
sv-col-title = Questionario
sv-col-versions = Versioni
sv-col-deployed = Versione aperta
sv-col-completed = Completati
sv-col-drafts = In corso
sv-col-number = Versione
sv-col-file = File
sv-col-form-version = Versione del modulo
sv-col-languages = Lingue
sv-col-uploaded = Caricato
sv-col-actions = Azioni
sv-not-deployed = Nessuna
sv-new = Nuovo questionario
sv-file = File XLSForm
sv-file-hint = Un foglio .xlsx o un .csv XLSForm con i fogli survey, choices e settings. Se il modulo ha errori non viene salvato nulla.
sv-upload = Carica e verifica
sv-no-file = Scegli un file da caricare.
sv-refused = { $count ->
    [one] Il modulo ha 1 errore e non è stato salvato. Correggilo e caricalo di nuovo.
   *[other] Il modulo ha { $count } errori e non è stato salvato. Correggili e caricalo di nuovo.
}
sv-limit-file-too-large = Il file supera { $max }, il massimo per un modulo. Togli le immagini incorporate o dividi il modulo in moduli più piccoli.
sv-limit-too-many-zip-entries = Il file .xlsx contiene più di { $max } parti. Salvalo di nuovo come normale cartella di lavoro Excel (.xlsx).
sv-limit-unzipped-too-large = Il file .xlsx, decompresso, supera { $max }. Togli i fogli e le immagini che non servono, o dividi il modulo in moduli più piccoli.
sv-limit-too-many-rows = Il foglio ha celle oltre la riga { $max }. Cancella le celle isolate molto sotto il modulo, sposta le liste di scelte lunghe in un file CSV esterno, o dividi il modulo.
sv-limit-too-many-columns = Il foglio ha celle oltre la colonna { $max }. Cancella le celle isolate molto a destra del modulo.
sv-limit-too-many-cells = I fogli coprono più di { $max } celle (righe × colonne). Cancella le celle isolate lontane dal modulo, o dividi il modulo in moduli più piccoli.
sv-limit-other = Il modulo è troppo grande per essere letto. Dividilo in moduli più piccoli.
sv-problems-caption = Problemi nel modulo, per foglio, riga e colonna
sv-col-sheet = Foglio
sv-col-row = Riga
sv-col-column = Colonna
sv-col-message = Problema
sv-version-added = Versione { $number } salvata. Pubblicala per aprirla al link di condivisione.
sv-share = Condivisione
sv-share-link = Link per chi risponde:
sv-audience = Chi può rispondere
sv-audience-public = Chiunque abbia il link
sv-audience-operators = Solo operatori con accesso
sv-save = Salva
sv-versions = Versioni
sv-versions-caption = Le versioni del modulo; le risposte restano legate alla versione a cui sono state date.
sv-deployed = aperta
sv-deploy = Apri la versione
sv-close = Chiudi
sv-analysis = Analisi
sv-new-version = Nuova versione
sv-new-version-hint = Un modulo corretto o ampliato. Le risposte già date restano leggibili nella loro versione.
sv-all = Tutti
sv-completed-count = Questionari completati:
sv-disclosure-note = { $threshold ->
   *[other] I conteggi da 1 a { $threshold } meno uno sono mostrati come "<{ $threshold }", e altre celle sono nascoste dove li rivelerebbero; le medie di meno di { $threshold } risposte non sono mostrate.
}
sv-group-by = Disaggrega per
sv-group-by-none = Nessuna
sv-show = Mostra
sv-caption-one = Risposte (una scelta ciascuna)
sv-caption-multiple = Risposte (più scelte possibili; percentuali su chi ha risposto)
sv-caption-numbers = Numeri indicati
sv-col-choice = Scelta
sv-col-group = Gruppo
sv-respondents = Hanno risposto
sv-total = Totale
sv-mean = Media
sv-median = Mediana
sv-min = Minimo
sv-max = Massimo
respond-page = Pagina
respond-next = Avanti
respond-back = Indietro
respond-send = Invia
respond-add = Aggiungi
respond-remove = Rimuovi
respond-other = Altro
respond-other-specify = Se altro, specifica
respond-errors = Alcune risposte richiedono attenzione:
respond-error-required = Questa risposta è obbligatoria.
respond-error-constraint = Questa risposta non è accettata.
respond-error-integer = Scrivi un numero intero.
respond-error-decimal = Scrivi un numero.
respond-error-date = Scrivi una data.
respond-error-time = Scrivi un orario.
respond-error-choice = Scegli una delle opzioni.
respond-form-language = Lingua del questionario
respond-resume = Le tue risposte sono salvate. Per continuare più tardi, conserva questo link:
respond-resume-link = continua il questionario
respond-thanks-title = Grazie
respond-thanks = Le tue risposte sono state inviate.
respond-closed-title = Questionario non disponibile
respond-closed = Questo questionario è chiuso.
respond-not-found = A questo indirizzo non c'è nessun questionario.
respond-status-updated = Le domande sono state aggiornate.
respond-status-errors =
    { $count ->
        [one] Una risposta da controllare.
       *[other] { $count } risposte da controllare.
    }
