# Surveys: the back office (sv-, Italian and English) and the respondent's pages (respond-, every portal language).
sv-nav = Surveys
sv-title = Surveys
sv-intro = Needs-assessment questionnaires designed as XLSForms (the spreadsheets of KoboToolbox and ODK). Upload a form, deploy a version and share its link.
sv-intro-analyst = The analyses of your organisation's questionnaires, version by version, with small counts hidden. Answers one by one are exported by whoever runs the survey.
sv-none = Your organisation has no survey yet.
sv-list-caption = Your organisation's surveys
sv-col-title = Survey
sv-col-versions = Versions
sv-col-deployed = Version open
sv-col-completed = Completed
sv-col-drafts = In progress
sv-col-number = Version
sv-col-file = File
sv-col-form-version = Form version
sv-col-languages = Languages
sv-col-uploaded = Uploaded
sv-col-actions = Actions
sv-not-deployed = None
sv-new = New survey
sv-file = XLSForm file
sv-file-hint = An .xlsx spreadsheet or an XLSForm .csv with survey, choices and settings sheets. Nothing is saved if the form has errors.
sv-upload = Upload and check
sv-no-file = Choose a form file to upload.
sv-refused = { $count ->
    [one] The form has 1 error and was not saved. Fix it and upload it again.
   *[other] The form has { $count } errors and was not saved. Fix them and upload it again.
}
sv-limit-file-too-large = The file is larger than { $max }, the most a form may weigh. Remove embedded images or split the form into smaller ones.
sv-limit-too-many-zip-entries = The .xlsx file holds more than { $max } parts. Save it again as a plain Excel workbook (.xlsx).
sv-limit-unzipped-too-large = The .xlsx file unpacks to more than { $max }. Remove unused sheets and images, or split the form into smaller ones.
sv-limit-too-many-rows = The sheet has cells beyond row { $max }. Delete stray cells far below the form, move long choice lists to an external CSV file, or split the form.
sv-limit-too-many-columns = The sheet has cells beyond column { $max }. Delete stray cells far to the right of the form.
sv-limit-too-many-cells = The sheets span more than { $max } cells (rows × columns). Delete stray cells far from the form, or split the form into smaller ones.
sv-limit-other = The form is too large to read. Split it into smaller forms.
sv-problems-caption = Problems in the form, by sheet, row and column
sv-col-sheet = Sheet
sv-col-row = Row
sv-col-column = Column
sv-col-message = Problem
sv-version-added = Version { $number } saved. Deploy it to open it at the share link.
sv-share = Share
sv-share-link = Link for respondents:
sv-audience = Who may answer
sv-audience-public = Anyone with the link
sv-audience-operators = Only signed-in operators
sv-save = Save
sv-versions = Versions
sv-versions-caption = The versions of the form; answers stay with the version they were given to.
sv-deployed = open
sv-deploy = Open version
sv-close = Close
sv-analysis = Analysis
sv-new-version = New version
sv-new-version-hint = A corrected or extended form. Answers already given stay readable under their own version.
sv-all = All
sv-completed-count = Completed questionnaires:
sv-disclosure-note = { $threshold ->
   *[other] Counts from 1 to { $threshold } minus one are shown as "<{ $threshold }", with other cells hidden where they would reveal them; averages of fewer than { $threshold } answers are not shown.
}
sv-group-by = Split by
sv-group-by-none = Nothing
sv-show = Show
sv-caption-one = Answers (one choice each)
sv-caption-multiple = Answers (several choices possible; percentages of those who answered)
sv-caption-numbers = Numbers given
sv-col-choice = Choice
sv-col-group = Group
sv-respondents = Answered
sv-total = Total
sv-mean = Mean
sv-median = Median
sv-min = Minimum
sv-max = Maximum
respond-page = Page
respond-next = Next
respond-back = Back
respond-send = Send
respond-add = Add
respond-remove = Remove
respond-other = Other
respond-other-specify = If other, please specify
respond-errors = Some answers need your attention:
respond-error-required = This answer is required.
respond-error-constraint = This answer is not accepted.
respond-error-integer = Write a whole number.
respond-error-decimal = Write a number.
respond-error-date = Write a date.
respond-error-time = Write a time.
respond-error-choice = Choose one of the options.
respond-form-language = Language of the questionnaire
respond-resume = Your answers are saved. To continue later, keep this link:
respond-resume-link = continue the questionnaire
respond-thanks-title = Thank you
respond-thanks = Your answers have been sent.
respond-closed-title = Questionnaire not available
respond-closed = This questionnaire is closed.
respond-not-found = There is no questionnaire at this address.
respond-status-updated = The questions were updated.
respond-status-errors =
    { $count ->
        [one] One answer to check.
       *[other] { $count } answers to check.
    }
