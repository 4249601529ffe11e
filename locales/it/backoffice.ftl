# Back office (area riservata). Italiano e inglese completi; le altre lingue usano l'italiano.
bo-login-title = Accesso all'area riservata
bo-login-intro = Area riservata agli operatori delle organizzazioni della rete.
bo-login-email = Indirizzo e-mail
bo-login-password = Password
bo-login-submit = Accedi
bo-login-failed = Accesso non riuscito: controlla e-mail e password. Dopo 5 tentativi errati dalla stessa connessione, questa deve attendere prima di riprovare.
bo-login-throttled = Troppi tentativi non riusciti per questo account dalla tua connessione. Riprova tra { $minutes ->
    [one] un minuto
   *[other] { $minutes } minuti
}.
bo-login-or = Oppure
bo-login-oidc = Accedi con { $name }
bo-oidc-error-title = Accesso non riuscito
bo-oidc-unavailable = Il servizio di identità non risponde o non è configurato correttamente. Riprova tra qualche minuto, oppure accedi con e-mail e password; se il problema continua, avvisa l'amministratore del sito.
bo-oidc-expired = L'accesso è scaduto o è stato avviato in un'altra finestra del browser. Torna alla pagina di accesso e riprova.
bo-oidc-denied = L'accesso è stato annullato presso il servizio di identità. Torna alla pagina di accesso per riprovare.
bo-oidc-invalid = Il servizio di identità ha inviato una risposta non valida, quindi l'accesso è stato rifiutato. Riprova; se il problema continua, avvisa l'amministratore del sito.
bo-oidc-no-account = La tua identità è stata verificata, ma non c'è un account dell'area riservata collegato a essa. Gli account, con il ruolo e l'organizzazione, li crea l'amministratore della tua organizzazione: chiedigli di creare un account con il tuo indirizzo e-mail, poi accedi di nuovo.
bo-oidc-email-given = Indirizzo e-mail comunicato dal servizio di identità: { $email }
bo-oidc-locked = L'account è bloccato per troppi tentativi di accesso con password errata. Riprova tra 15 minuti o chiedi all'amministratore di reimpostare la password.
bo-oidc-other-identity = L'account con questo indirizzo e-mail è già collegato a un'altra identità dello stesso servizio. Accedi con quella, oppure chiedi all'amministratore della tua organizzazione di verificare l'account.
bo-oidc-back-to-login = Torna alla pagina di accesso
bo-logout = Esci
bo-nav-label = Menu dell'area riservata
bo-nav-services = I servizi della mia organizzazione
bo-nav-stale = Servizi da verificare nella rete
bo-services-title = I servizi della mia organizzazione
bo-services-none = La tua organizzazione non ha ancora servizi nel catalogo.
bo-signed-in-as = Accesso effettuato come { $name }
bo-stale-count = { $count ->
    [0] Tutti i servizi sono stati verificati negli ultimi sei mesi.
    [one] Un servizio non è verificato da più di sei mesi.
   *[other] { $count } servizi non sono verificati da più di sei mesi.
}
bo-col-service = Servizio
bo-col-status = Stato
bo-col-verified = Ultima verifica
bo-col-actions = Azioni
bo-never-verified = Mai verificato
bo-stale-badge = Da verificare
bo-confirm-valid = Conferma che è ancora valido
bo-status-active = Attivo
bo-status-inactive = Non attivo
bo-status-defunct = Cessato
bo-status-temporarily-closed = Temporaneamente chiuso
bo-stale-title = Servizi da verificare nella rete
bo-stale-intro = Servizi non verificati da più di sei mesi, per organizzazione.
bo-stale-none = Nessun servizio da verificare: tutti sono stati verificati negli ultimi sei mesi.
bo-error-title = Operazione non possibile
bo-error-csrf = Il modulo è scaduto o non proviene da questo sito. Ricarica la pagina e riprova.
bo-error-forbidden = Il tuo ruolo non consente questa operazione.
bo-error-not-found = La pagina o il servizio richiesto non esiste.

# Unmet search demand (coordinators)
sd-title = Ricerche senza risposta
sd-intro = Che cosa cercano nel portale le persone che non trovano un servizio: le ricerche senza risultati e quelle dopo le quali nessuno ha aperto un servizio indicano servizi che mancano nella rete o che sono descritti con parole diverse da quelle delle persone. I conteggi non contengono dati personali.
sd-period = Periodo
sd-weeks = { $count ->
    [one] Ultima settimana
   *[other] Ultime { $count } settimane
}
sd-show = Mostra
sd-weeks-title = Per settimana e lingua
sd-none = Nessuna ricerca nel periodo.
sd-col-week = Settimana dal
sd-col-language = Lingua
sd-col-searches = Ricerche
sd-col-empty = Senza risultati
sd-col-unopened-share = Visitatori che non hanno aperto nessun servizio
sd-queries-title = Ricerche da migliorare
sd-threshold = { $count ->
    [one] Sono elencate le ricerche fatte da almeno una persona in una settimana, prima quelle con più persone che non hanno aperto nessun servizio.
   *[other] Sono elencate solo le ricerche fatte da almeno { $count } persone diverse nella stessa settimana (le altre sono contate solo nei totali, senza il testo), prima quelle con più persone che non hanno aperto nessun servizio.
}
sd-queries-none = Nessuna ricerca è stata fatta da abbastanza persone diverse nel periodo.
sd-col-query = Ricerca
sd-col-visitors = Persone
sd-col-unopened = Non hanno aperto nessun servizio
sd-col-empty-of = Senza risultati / ricerche

# Demo mode: the login page lists the demo accounts
bo-demo-title = Server dimostrativo
bo-demo-intro = Per provare ogni ruolo accedi con uno di questi account; la password di tutti è { $password }. Gli account dimostrativi funzionano solo su un server avviato con --demo.
bo-demo-role = Ruolo
