# Back office (restricted area). Italian and English are complete; other languages use Italian.
bo-login-title = Sign in to the restricted area
bo-login-intro = For the staff of the network's organisations.
bo-login-email = E-mail address
bo-login-password = Password
bo-login-submit = Sign in
bo-login-failed = Sign-in failed: check your e-mail and password. After 5 wrong attempts from one connection, that connection waits before trying again.
bo-login-throttled = Too many failed attempts for this account from your connection. Try again in { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
}.
bo-login-or = Or
bo-login-oidc = Sign in with { $name }
bo-oidc-error-title = Sign-in failed
bo-oidc-unavailable = The identity service does not answer or is not set up correctly. Try again in a few minutes, or sign in with your e-mail and password; if it keeps happening, tell the site's administrator.
bo-oidc-expired = The sign-in has expired or was started in another browser window. Go back to the sign-in page and try again.
bo-oidc-denied = The sign-in was cancelled at the identity service. Go back to the sign-in page to try again.
bo-oidc-invalid = The identity service sent an answer that is not valid, so the sign-in was refused. Try again; if it keeps happening, tell the site's administrator.
bo-oidc-no-account = Your identity was verified, but no restricted-area account is linked to it. Accounts, with their role and organisation, are created by your organisation's administrator: ask them to create an account with your e-mail address, then sign in again.
bo-oidc-email-given = E-mail address given by the identity service: { $email }
bo-oidc-locked = The account is locked after too many sign-ins with a wrong password. Try again in 15 minutes or ask an administrator to reset the password.
bo-oidc-other-identity = The account with this e-mail address is already linked to another identity at the same service. Sign in with that one, or ask your organisation's administrator to check the account.
bo-oidc-back-to-login = Back to the sign-in page
bo-logout = Sign out
bo-nav-label = Restricted area menu
bo-nav-services = My organisation's services
bo-nav-stale = Services to verify across the network
bo-services-title = My organisation's services
bo-services-none = Your organisation has no services in the directory yet.
bo-signed-in-as = Signed in as { $name }
bo-stale-count = { $count ->
    [0] Every service was verified in the last six months.
    [one] One service has not been verified for more than six months.
   *[other] { $count } services have not been verified for more than six months.
}
bo-col-service = Service
bo-col-status = Status
bo-col-verified = Last verified
bo-col-actions = Actions
bo-never-verified = Never verified
bo-stale-badge = Needs checking
bo-confirm-valid = Confirm still valid
bo-status-active = Active
bo-status-inactive = Inactive
bo-status-defunct = Closed down
bo-status-temporarily-closed = Temporarily closed
bo-stale-title = Services to verify across the network
bo-stale-intro = Services not verified for more than six months, by organisation.
bo-stale-none = Nothing to verify: every service was verified in the last six months.
bo-error-title = This cannot be done
bo-error-csrf = The form has expired or did not come from this site. Reload the page and try again.
bo-error-forbidden = Your role does not allow this.
bo-error-not-found = The page or service you asked for does not exist.

# Unmet search demand (coordinators)
sd-title = Unmet search demand
sd-intro = What people search for on the portal and do not find: searches with no result, and searches after which nobody opened a service, point to services missing from the network or described in other words than people use. The counts hold no personal data.
sd-period = Period
sd-weeks = { $count ->
    [one] Last week
   *[other] Last { $count } weeks
}
sd-show = Show
sd-weeks-title = By week and language
sd-none = No searches in this period.
sd-col-week = Week starting
sd-col-language = Language
sd-col-searches = Searches
sd-col-empty = With no result
sd-col-unopened-share = Visitors who opened no service
sd-queries-title = Searches to improve
sd-threshold = { $count ->
    [one] Listed are the searches made by at least one person in a week, those with the most people who opened no service first.
   *[other] Listed are only the searches made by at least { $count } different people in the same week (the others count in the totals only, without their text), those with the most people who opened no service first.
}
sd-queries-none = No search was made by enough different people in this period.
sd-col-query = Search
sd-col-visitors = People
sd-col-unopened = Opened no service
sd-col-empty-of = With no result / searches

# Demo mode: the login page lists the demo accounts
bo-demo-title = Demo server
bo-demo-intro = To try each role, sign in with one of these accounts; the password of all of them is { $password }. Demo accounts work only on a server started with --demo.
bo-demo-role = Role
