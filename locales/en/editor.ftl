# Back office: editing services and locations, importing, the audit log. Italian and English are complete.
ed-service-new = New service
ed-service-new-title = New service
ed-service-edit-title = Edit “{ $name }”
ed-edit = Edit
ed-save = Save
ed-cancel = Cancel
ed-saved = Saved. The public pages and search show the change now.
ed-view-public = See the public page
ed-errors-title = Nothing was saved: please correct these fields
ed-yes = Yes
ed-no = No
ed-section-about = The service
ed-service-name = Name
ed-service-alternate-name = Other name or acronym
ed-service-description = What it offers
ed-service-description-hint = In plain words, for someone who has just arrived in Italy: what the service does and how it helps.
ed-service-eligibility = Who it is for
ed-service-application = How to access it
ed-service-fees = Cost
ed-service-fees-hint = Write “free” (gratuito) when it is free of charge: the portal's “free of charge” filter reads it.
ed-service-url = Web site
ed-service-url-hint = The full address, starting with https://
ed-service-email = E-mail
ed-service-status = Status
ed-section-needs = Needs it meets
ed-section-needs-hint = Tick every need the service answers: people find it by these, in any language.
ed-need-general = In general
ed-section-languages = Languages spoken
ed-languages-other = Other languages
ed-languages-other-hint = ISO 639 codes separated by commas, for example: tr, hi, ig
ed-section-hours = Opening hours
ed-section-hours-hint = One row for each time slot: tick the days and give the times. Empty rows are ignored; empty a row to remove it.
ed-slot-legend = Slot { $number }
ed-slot-days = Days
ed-slot-opens = Opens at
ed-slot-closes = Closes at
ed-slot-note = Note (for example: by appointment)
ed-other-hours = Other opening hours, kept as they are (edit them through the API or an import):
ed-section-locations = Where it is offered
ed-locations-none = Your organisation has no locations yet.
ed-locations-manage = Manage your organisation's locations
ed-section-translations = Translations
ed-section-translations-hint = Name and description in other languages. Visitors see the Italian text, with a note, where a translation is missing.
ed-translation-name = Name
ed-translation-description = Description
ed-mark-verified = I have checked all of it: mark the service as verified today
ed-error-required = This field is required.
ed-error-email = Write an e-mail address such as sportello@comune.it.
ed-error-url = Write the full address, starting with https://
ed-error-language-code = “{ $code }” is not a language code: use two or three lower-case letters (ISO 639).
ed-error-unknown-need = “{ $code }” is not a need of the taxonomy.
ed-error-not-your-location = One of the chosen locations does not belong to your organisation.
ed-error-slot-days = Tick at least one day.
ed-error-slot-order = The closing time must come after the opening time.
ed-error-time = Write a time as hours and minutes, for example 09:30.
ed-locations-title = My organisation's locations
ed-location-new = New location
ed-location-edit-title = Edit “{ $name }”
ed-location-name = Name
ed-location-description = Description
ed-location-address = Address
ed-location-postal-code = Postcode (CAP)
ed-location-comune = Comune
ed-location-comune-hint = The comune's name, with the province in brackets when several share it, for example “Samone (TN)”; or its ISTAT code.
ed-location-latitude = Latitude
ed-location-longitude = Longitude
ed-location-coordinates-hint = Optional: without them, maps and distances use the centre of the comune.
ed-location-confidential = Confidential address
ed-location-confidential-hint = For shelters and protection services: the public never sees the address or the position, only “address given on contact”.
ed-error-comune-unknown = No comune has this name or code.
ed-error-comune-ambiguous = Several comuni have this name: write one of { $choices }.
ed-error-postal-code = A postcode has five digits.
ed-error-coordinates = Not a position in Italy: write degrees with a decimal point, for example 42.3498.
ed-error-coordinates-both = Give both latitude and longitude, or neither.

im-title = Import an HSDS package
im-intro-network = Upload the CSV files of an HSDS 3.0 package (with or without datapackage.json) or HSDS JSON files. Everything is checked first: if any row has a problem, nothing is imported and every problem is listed.
im-intro-organisation = Upload the CSV files of an HSDS 3.0 package or HSDS JSON files with your organisation's records. Everything is checked first: if any row has a problem, nothing is imported and every problem is listed.
im-files = Files
im-files-hint = CSV (services.csv, locations.csv, …) or JSON. Up to 64 MB in all.
im-replace = Replace records that already exist (otherwise they are refused)
im-submit = Check and import
im-busy = Checking and importing… this can take a minute for large packages.
im-no-files = Choose at least one file.
im-done = { $count ->
    [one] Imported: one row written.
   *[other] Imported: { $count } rows written.
}
im-unchanged = { $count ->
    [one] One row was already there, unchanged.
   *[other] { $count } rows were already there, unchanged.
}
im-already = { $count ->
    [one] Nothing to do: the row is already in the directory, unchanged. Tick “replace” to write it again.
   *[other] Nothing to do: all { $count } rows are already in the directory, unchanged. Tick “replace” to write them again.
}
im-too-large = The files together are larger than { $max } MiB, the most one import takes. Split the package into smaller imports (an organisation at a time), or ask an administrator to run crocevia import hsds.
im-too-many-files = An import takes at most { $max } files: the CSV tables of one HSDS package and its datapackage.json, or HSDS JSON files. Send fewer files at a time.
im-refused = { $count ->
    [one] Nothing was imported: one problem to fix.
   *[other] Nothing was imported: { $count } problems to fix.
}
im-problems-caption = Problems found, by file and row
im-more-problems = { $count ->
    [one] … and one more problem.
   *[other] … and { $count } more problems.
}
im-col-file = File
im-col-row = Row
im-col-field = Field
im-col-reason = Problem
im-col-detail = Detail
im-warnings = Notes
im-code-already-exists = A record with this id already exists.
im-code-conflicting-duplicate = The same id appears twice with different values.
im-code-dangling-reference = It refers to a record that does not exist.
im-code-invalid-csv = The CSV file cannot be read.
im-code-invalid-json = The JSON cannot be read as HSDS.
im-code-missing-required = A required value is missing.
im-code-not-a-uuid = An id is not a UUID.
im-code-uri-scheme-not-allowed = A web address must start with http:// or https://.
im-code-wrong-value = A value is not allowed here.
im-code-unknown-table = The file is not an HSDS table.
im-code-not-your-organisation = The record belongs to another organisation.
im-code-other = The row cannot be imported.

au-title = Audit log
au-intro = Every change to the directory, newest first: who made it, when, and to what.
au-none = No changes yet.
au-col-when = When
au-col-who = Who
au-col-what = Change
au-col-record = Record
au-older = Older changes
au-op-upsert = Saved
au-op-delete = Deleted
au-other-organisation = An account of another organisation
au-deleted-account = A deleted account
au-api-token = API token “{ $label }”
au-import = Command-line import
au-demo = Demo data
bo-nav-audit = Audit log

ac-title = People of my organisation
ac-col-name = Name
ac-col-email = E-mail
ac-col-role = Role
ac-locked = Locked after failed sign-ins
ac-reset = New password
ac-add = Add a person
ac-add-submit = Add
ac-issued = Password for { $email }:
ac-issued-hint = It is shown only now: give it to the person, who should change it at the first sign-in (“My password”). Their previous sessions have ended.
ac-error-email-taken = An account with this e-mail already exists.
ac-role-admin = Administrator
ac-role-coordinator = Network coordinator
ac-role-editor = Editor
ac-role-operator = Desk operator
ac-role-analyst = Analyst
ac-password-title = My password
ac-password-current = Current password
ac-password-new = New password
ac-password-new-hint = At least 12 characters; a sentence you remember works well.
ac-password-repeat = New password again
ac-password-submit = Change password
ac-password-changed = Password changed. Your other sessions have ended.
ac-error-current = The current password is not right.
ac-error-short = { $count ->
    [one] The new password needs at least one character.
   *[other] The new password needs at least { $count } characters.
}
ac-error-repeat = The two new passwords differ.
bo-nav-password = My password
bo-nav-accounts = People

# The audit trail of personal data (the audit page with ?trail=personal).
au-pd-link = Audit trail of personal data: who read, changed, exported or tried to read people's records, logins and password resets
au-pd-directory-link = Changes to the directory
au-pd-title = Audit trail of personal data
au-pd-intro = Every access to people's records, survey exports and analyses, refused reads of other organisations' records, logins and password resets, newest first. Its entries are sealed: "crocevia audit verify" shows whether any was changed or removed.
au-pd-none = No entries yet.
au-pd-col-action = Action
au-pd-col-subject = On
au-pd-col-person = Person
au-pd-col-detail = Detail
au-pd-read = Read
au-pd-create = Created
au-pd-update = Changed
au-pd-share = Shared with another organisation
au-pd-export = Exported
au-pd-erase = Erased
au-pd-analyse = Analysed
au-pd-refused = Read refused (another organisation's record)
au-pd-login = Logged in
au-pd-login-failed = Login failed
au-pd-password-reset = Password reset
au-pd-kind-contact = Person
au-pd-kind-need = Need
au-pd-kind-referral = Referral
au-pd-kind-survey = Survey
au-pd-kind-account = Account
au-pd-anonymous = Not logged in
au-pd-system = The server (scheduled work)
au-pd-command-line = Command line
