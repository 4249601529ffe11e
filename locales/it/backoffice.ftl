# Back office (area riservata). Italiano e inglese completi; le altre lingue usano l'italiano.
bo-login-title = Accesso all'area riservata
bo-login-intro = Area riservata agli operatori delle organizzazioni della rete.
bo-login-email = Indirizzo e-mail
bo-login-password = Password
bo-login-submit = Accedi
bo-login-failed = Accesso non riuscito: controlla e-mail e password. Dopo 5 tentativi errati l'accesso resta bloccato per 15 minuti.
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
