//! The desk's tables ([`crocevia_store::desk::DeskStore`]), written once for both backends
//! like the rest of the store (see [`crate::sql_store`]).

/// Implements `DeskStore` for `$store` over database `$db`, in a module of its own.
macro_rules! sql_desk_store {
    ($store:ident, $db:ty) => {
        mod desk_store {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use crocevia_core::desk::audit::{Actor, AuditAction, AuditEntry, AuditEvent, AuditSeal};
            use crocevia_core::desk::{
                AgeBand, ConsentRecord, Contact, ContactFacts, Need, PersonalDetails, Purpose,
                Referral, ReferralEvent, ReferralState, SharedField, SharedPerson, Sex, Side, Urgency,
            };
            use crocevia_store::desk::{
                CONTACT_FACTS, DeskStore, Direction, NEED_FACTS, NeedFact, Notification, OutgoingMail, Pathway,
                PersonExport, REFERRAL_FACTS, ReferralFact, ReferralView,
            };
            use crocevia_core::taxonomy::TermCode;
            use crocevia_store::{Operation, Result, StoreError};
            use sqlx::{AssertSqlSafe, Row as _};

            use super::$store as Backend;
            use crate::{db_error, parse_timestamp, timestamp};

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'a> = sqlx::Transaction<'a, $db>;

            fn get<'r, T>(row: &'r DbRow, column: &str) -> Result<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                row.try_get(column).map_err(db_error)
            }

            fn time(row: &DbRow, column: &str) -> Result<DateTime<Utc>> {
                parse_timestamp(&get::<String>(row, column)?)
            }

            fn maybe_time(row: &DbRow, column: &str) -> Result<Option<DateTime<Utc>>> {
                get::<Option<String>>(row, column)?.as_deref().map(parse_timestamp).transpose()
            }

            fn bad(what: &str, value: &str) -> StoreError {
                StoreError::Database(format!("unknown {what} '{value}' in the database"))
            }

            fn coded<T>(row: &DbRow, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
                let text: String = get(row, column)?;
                parse(&text).ok_or_else(|| bad(column, &text))
            }

            /// Lower case without accents, for finding a person again by name.
            fn search_name(personal: &PersonalDetails) -> String {
                let mut folded = String::new();
                for c in personal.full_name().to_lowercase().chars() {
                    crocevia_core::text::fold(c, &mut folded);
                }
                folded
            }

            const CONTACT_COLUMNS: &str = "id, organization_id, reference, birth_year, age_band, sex, citizenship, \
                comune_code, languages, given_name, family_name, phone, email, search_name, created_at, created_by, \
                last_activity_at, erased_at";

            fn contact_of(row: &DbRow) -> Result<Contact> {
                let languages: String = get(row, "languages")?;
                let age_band: Option<String> = get(row, "age_band")?;
                Ok(Contact {
                    id: get(row, "id")?,
                    organization_id: get(row, "organization_id")?,
                    reference: get(row, "reference")?,
                    facts: ContactFacts {
                        birth_year: get::<Option<i64>>(row, "birth_year")?.map(|y| y as i32),
                        age_band: age_band
                            .map(|b| AgeBand::parse(&b).ok_or_else(|| bad("age band", &b)))
                            .transpose()?,
                        sex: coded(row, "sex", Sex::parse)?,
                        citizenship: get(row, "citizenship")?,
                        comune_code: get(row, "comune_code")?,
                        languages: languages.split_whitespace().map(str::to_owned).collect(),
                    },
                    personal: PersonalDetails {
                        given_name: get(row, "given_name")?,
                        family_name: get(row, "family_name")?,
                        phone: get(row, "phone")?,
                        email: get(row, "email")?,
                    },
                    created_at: time(row, "created_at")?,
                    created_by: get(row, "created_by")?,
                    last_activity_at: time(row, "last_activity_at")?,
                    erased_at: maybe_time(row, "erased_at")?,
                })
            }

            /// A contact without its personal details, for lists that show coded facts only.
            fn without_personal(mut contact: Contact) -> Contact {
                contact.personal = PersonalDetails::default();
                contact
            }

            fn consent_of(row: &DbRow) -> Result<ConsentRecord> {
                Ok(ConsentRecord {
                    purpose: coded(row, "purpose", Purpose::parse)?,
                    given: get::<i64>(row, "given")? != 0,
                    at: time(row, "at")?,
                    recorded_by: get(row, "recorded_by")?,
                })
            }

            const NEED_COLUMNS: &str = "id, contact_id, organization_id, term_id, urgency, notes, created_at, created_by";

            fn need_of(row: &DbRow) -> Result<Need> {
                Ok(Need {
                    id: get(row, "id")?,
                    contact_id: get(row, "contact_id")?,
                    organization_id: get(row, "organization_id")?,
                    term: TermCode::new(get::<String>(row, "term_id")?),
                    urgency: coded(row, "urgency", Urgency::parse)?,
                    notes: get(row, "notes")?,
                    created_at: time(row, "created_at")?,
                    created_by: get(row, "created_by")?,
                })
            }

            const REFERRAL_COLUMNS: &str = "r.id, r.contact_id, r.need_id, r.from_organization_id, r.from_account_id, \
                r.service_id, r.to_organization_id, r.state, r.shared, r.shared_person, r.message, r.urgency, \
                r.sent_at, r.due_at, r.updated_at, r.consent_override, n.term_id";

            const REFERRAL_FROM: &str = "desk_referral r JOIN desk_need n ON n.id = r.need_id";

            fn referral_of(row: &DbRow) -> Result<Referral> {
                let shared: String = get(row, "shared")?;
                Ok(Referral {
                    id: get(row, "id")?,
                    contact_id: get(row, "contact_id")?,
                    need_id: get(row, "need_id")?,
                    from_organization_id: get(row, "from_organization_id")?,
                    from_account_id: get(row, "from_account_id")?,
                    service_id: get(row, "service_id")?,
                    to_organization_id: get(row, "to_organization_id")?,
                    state: coded(row, "state", ReferralState::parse)?,
                    shared: shared
                        .split_whitespace()
                        .map(|f| SharedField::parse(f).ok_or_else(|| bad("shared field", f)))
                        .collect::<Result<_>>()?,
                    message: get(row, "message")?,
                    urgency: coded(row, "urgency", Urgency::parse)?,
                    sent_at: time(row, "sent_at")?,
                    due_at: time(row, "due_at")?,
                    updated_at: time(row, "updated_at")?,
                    consent_override: get(row, "consent_override")?,
                })
            }

            fn referral_view_of(row: &DbRow) -> Result<ReferralView> {
                let person: String = get(row, "shared_person")?;
                Ok(ReferralView {
                    referral: referral_of(row)?,
                    shared_person: serde_json::from_str(&person).map_err(db_error)?,
                    term: TermCode::new(get::<String>(row, "term_id")?),
                })
            }

            fn side_of(s: &str) -> Option<Side> {
                [Side::Sender, Side::Receiver, Side::System].into_iter().find(|v| v.as_str() == s)
            }

            fn event_of(row: &DbRow) -> Result<ReferralEvent> {
                let from: Option<String> = get(row, "from_state")?;
                Ok(ReferralEvent {
                    referral_id: get(row, "referral_id")?,
                    at: time(row, "at")?,
                    account_id: get(row, "account_id")?,
                    side: coded(row, "side", side_of)?,
                    action: get(row, "action")?,
                    code: get(row, "code")?,
                    note: get(row, "note")?,
                    from_state: from
                        .map(|s| ReferralState::parse(&s).ok_or_else(|| bad("state", &s)))
                        .transpose()?,
                    to_state: coded(row, "to_state", ReferralState::parse)?,
                })
            }

            fn audit_of(row: &DbRow) -> Result<AuditEntry> {
                Ok(AuditEntry {
                    seq: get(row, "seq")?,
                    event: AuditEvent {
                        at: time(row, "at")?,
                        actor: Actor {
                            account_id: get(row, "account_id")?,
                            organization_id: get(row, "organization_id")?,
                        },
                        action: coded(row, "action", AuditAction::parse)?,
                        subject_kind: get(row, "subject_kind")?,
                        subject_id: get(row, "subject_id")?,
                        contact_id: get(row, "contact_id")?,
                        detail: get(row, "detail")?,
                    },
                    prev_hash: get(row, "prev_hash")?,
                    hash: get(row, "hash")?,
                })
            }

            fn mail_of(row: &DbRow) -> Result<OutgoingMail> {
                Ok(OutgoingMail {
                    id: get(row, "id")?,
                    to: get(row, "recipient")?,
                    language: get(row, "language")?,
                    kind: get(row, "kind")?,
                    link: get(row, "link")?,
                    created_at: time(row, "created_at")?,
                    attempts: u32::try_from(get::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
                })
            }

            fn event(
                actor: &Actor,
                at: DateTime<Utc>,
                action: AuditAction,
                kind: &str,
                subject_id: &str,
                contact_id: &str,
                detail: &str,
            ) -> AuditEvent {
                AuditEvent {
                    at,
                    actor: actor.clone(),
                    action,
                    subject_kind: kind.to_owned(),
                    subject_id: subject_id.to_owned(),
                    contact_id: contact_id.to_owned(),
                    detail: detail.to_owned(),
                }
            }

            /// Links `events` onto the chain inside `tx`, sealed with the store's audit key. On
            /// PostgreSQL a transaction lock makes concurrent appenders from every app server
            /// take turns.
            async fn audit_in(tx: &mut Tx<'_>, seal: &AuditSeal, events: &[AuditEvent]) -> Result<Vec<AuditEntry>> {
                if events.is_empty() {
                    return Ok(Vec::new());
                }
                if let Some(lock) = Backend::AUDIT_LOCK {
                    sqlx::query(lock).execute(&mut **tx).await.map_err(db_error)?;
                }
                let head = sqlx::query("SELECT seq, hash FROM desk_audit_head WHERE id = 1")
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_error)?;
                let (mut seq, mut hash): (i64, String) = (get(&head, "seq")?, get(&head, "hash")?);
                let mut entries = Vec::with_capacity(events.len());
                for e in events {
                    let entry = AuditEntry::chain(seq, &hash, e.clone(), seal);
                    sqlx::query(
                        "INSERT INTO desk_audit (seq, at, account_id, organization_id, action, subject_kind, \
                         subject_id, contact_id, detail, prev_hash, hash) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(entry.seq)
                    .bind(timestamp(e.at))
                    .bind(&e.actor.account_id)
                    .bind(&e.actor.organization_id)
                    .bind(e.action.as_str())
                    .bind(&e.subject_kind)
                    .bind(&e.subject_id)
                    .bind(&e.contact_id)
                    .bind(&e.detail)
                    .bind(&entry.prev_hash)
                    .bind(&entry.hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                    (seq, hash) = (entry.seq, entry.hash.clone());
                    entries.push(entry);
                }
                sqlx::query("UPDATE desk_audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(&hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                Ok(entries)
            }

            async fn touch_contact(tx: &mut Tx<'_>, contact_id: &str, at: DateTime<Utc>) -> Result<()> {
                sqlx::query("UPDATE desk_contact SET last_activity_at = $2 WHERE id = $1 AND last_activity_at < $2")
                    .bind(contact_id)
                    .bind(timestamp(at))
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            /// Tells the change log (which the observatory follows) that these facts changed.
            /// Takes the directory's write lock first, as its writers do, so log entries commit
            /// in sequence order on PostgreSQL; always before `audit_in`, so locks are taken
            /// in one order.
            async fn log_facts(tx: &mut Tx<'_>, rows: &[(&str, &str)], actor: &Actor, at: DateTime<Utc>) -> Result<()> {
                if let Some(lock) = Backend::WRITE_LOCK {
                    sqlx::query(lock).execute(&mut **tx).await.map_err(db_error)?;
                }
                let rows: Vec<(String, String, Operation)> =
                    rows.iter().map(|(table, id)| ((*table).to_owned(), (*id).to_owned(), Operation::Upsert)).collect();
                super::log_changes(tx, &rows, &format!("desk:{}", actor.organization_id), at).await?;
                Ok(())
            }

            const NEED_FACT_SELECT: &str = "SELECT n.id, n.organization_id, n.term_id, n.created_at, c.sex, c.birth_year, \
                c.age_band, c.citizenship, c.comune_code, COALESCE((SELECT k.given FROM desk_consent k \
                WHERE k.contact_id = n.contact_id AND k.purpose = 'statistics' ORDER BY k.at DESC LIMIT 1), 0) AS counted \
                FROM desk_need n JOIN desk_contact c ON c.id = n.contact_id";

            fn need_fact_of(row: &DbRow) -> Result<NeedFact> {
                Ok(NeedFact {
                    id: get(row, "id")?,
                    organization_id: get(row, "organization_id")?,
                    term: TermCode::new(get::<String>(row, "term_id")?),
                    recorded_at: time(row, "created_at")?,
                    sex: coded(row, "sex", Sex::parse)?,
                    birth_year: get::<Option<i64>>(row, "birth_year")?.map(|y| y as i32),
                    age_band: get::<Option<String>>(row, "age_band")?.as_deref().and_then(AgeBand::parse),
                    citizenship: get(row, "citizenship")?,
                    comune_code: get(row, "comune_code")?,
                    counted: get::<i64>(row, "counted")? != 0,
                })
            }

            const REFERRAL_FACT_SELECT: &str = "SELECT r.id, r.need_id, r.from_organization_id, r.to_organization_id, \
                r.sent_at, r.state, (SELECT MIN(e.at) FROM desk_referral_event e WHERE e.referral_id = r.id \
                AND e.side = 'receiver') AS first_answer_at, (SELECT e.code FROM desk_referral_event e \
                WHERE e.referral_id = r.id AND e.code IS NOT NULL ORDER BY e.position DESC LIMIT 1) AS code \
                FROM desk_referral r";

            fn referral_fact_of(row: &DbRow) -> Result<ReferralFact> {
                Ok(ReferralFact {
                    id: get(row, "id")?,
                    need_id: get(row, "need_id")?,
                    from_organization_id: get(row, "from_organization_id")?,
                    to_organization_id: get(row, "to_organization_id")?,
                    sent_at: time(row, "sent_at")?,
                    state: coded(row, "state", ReferralState::parse)?,
                    first_answer_at: maybe_time(row, "first_answer_at")?,
                    code: get(row, "code")?,
                })
            }

            async fn insert_mail(connection: &mut <$db as sqlx::Database>::Connection, mail: &OutgoingMail) -> Result<()> {
                sqlx::query(
                    "INSERT INTO desk_mail (id, recipient, language, kind, link, created_at, attempts) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&mail.id)
                .bind(&mail.to)
                .bind(&mail.language)
                .bind(&mail.kind)
                .bind(&mail.link)
                .bind(timestamp(mail.created_at))
                .bind(i64::from(mail.attempts))
                .execute(connection)
                .await
                .map(|_| ())
                .map_err(db_error)
            }

            async fn notify(tx: &mut Tx<'_>, organization_id: &str, referral_id: &str, kind: &str, at: DateTime<Utc>) -> Result<()> {
                sqlx::query(
                    "INSERT INTO desk_notification (id, organization_id, referral_id, kind, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(organization_id)
                .bind(referral_id)
                .bind(kind)
                .bind(timestamp(at))
                .execute(&mut **tx)
                .await
                .map(|_| ())
                .map_err(db_error)
            }

            impl Backend {
                /// Whether the actor's organisation keeps this contact.
                /// A page of the observatory's facts after `after`, in id order.
                async fn facts_page<T: Send>(
                    &self, select: &str, id_column: &str, after: &str, limit: u32, parse: fn(&DbRow) -> Result<T>,
                ) -> Result<Vec<T>> {
                    sqlx::query(AssertSqlSafe(format!("{select} WHERE {id_column} > $1 ORDER BY {id_column} LIMIT $2")))
                        .bind(after)
                        .bind(i64::from(limit))
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(parse)
                        .collect()
                }

                /// The observatory's facts whose `column` is one of `ids`.
                async fn facts_in<T: Send>(
                    &self, select: &str, column: &str, ids: &[String], parse: fn(&DbRow) -> Result<T>,
                ) -> Result<Vec<T>> {
                    let mut facts = Vec::new();
                    for chunk in ids.chunks(crate::CHUNK) {
                        let sql = format!("{select} WHERE {column} IN ({})", crate::placeholders(1, chunk.len()));
                        let mut query = sqlx::query(AssertSqlSafe(sql));
                        for id in chunk {
                            query = query.bind(id);
                        }
                        for row in query.fetch_all(&self.read).await.map_err(db_error)? {
                            facts.push(parse(&row)?);
                        }
                    }
                    Ok(facts)
                }

                async fn owns_contact(&self, tx: &mut Tx<'_>, actor: &Actor, contact_id: &str) -> Result<bool> {
                    Ok(sqlx::query("SELECT 1 FROM desk_contact WHERE id = $1 AND organization_id = $2")
                        .bind(contact_id)
                        .bind(&actor.organization_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_error)?
                        .is_some())
                }

                /// Audits reads after the fact, in a transaction of their own.
                async fn audit_reads(&self, events: Vec<AuditEvent>) -> Result<()> {
                    if events.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    audit_in(&mut tx, &self.audit, &events).await?;
                    tx.commit().await.map_err(db_error)
                }

                async fn contacts_where(&self, condition: &str, binds: &[&str], limit: u32) -> Result<Vec<Contact>> {
                    let sql = format!(
                        "SELECT {CONTACT_COLUMNS} FROM desk_contact WHERE {condition} \
                         ORDER BY last_activity_at DESC, id LIMIT {limit}"
                    );
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for b in binds {
                        query = query.bind(b.to_string());
                    }
                    query.fetch_all(&self.read).await.map_err(db_error)?.iter().map(contact_of).collect()
                }

                async fn referral_views(&self, condition: &str, binds: &[String], limit: u32) -> Result<Vec<ReferralView>> {
                    let sql = format!(
                        "SELECT {REFERRAL_COLUMNS} FROM {REFERRAL_FROM} WHERE {condition} \
                         ORDER BY r.sent_at DESC, r.id LIMIT {limit}"
                    );
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for b in binds {
                        query = query.bind(b.clone());
                    }
                    query.fetch_all(&self.read).await.map_err(db_error)?.iter().map(referral_view_of).collect()
                }
            }

            fn binds_contact<'q>(
                query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
                c: &'q Contact,
            ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
                query
                    .bind(&c.id)
                    .bind(&c.organization_id)
                    .bind(&c.reference)
                    .bind(c.facts.birth_year.map(i64::from))
                    .bind(c.facts.age_band.map(AgeBand::as_str))
                    .bind(c.facts.sex.as_str())
                    .bind(&c.facts.citizenship)
                    .bind(&c.facts.comune_code)
                    .bind(c.facts.languages.join(" "))
                    .bind(&c.personal.given_name)
                    .bind(&c.personal.family_name)
                    .bind(&c.personal.phone)
                    .bind(&c.personal.email)
                    .bind(search_name(&c.personal))
            }

            #[async_trait]
            impl DeskStore for Backend {
                async fn create_contact(&self, actor: &Actor, contact: &Contact, consents: &[ConsentRecord]) -> Result<()> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let sql = format!(
                        "INSERT INTO desk_contact ({CONTACT_COLUMNS}) VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
                    );
                    binds_contact(sqlx::query(AssertSqlSafe(sql)), contact)
                        .bind(timestamp(contact.created_at))
                        .bind(&contact.created_by)
                        .bind(timestamp(contact.last_activity_at))
                        .bind(contact.erased_at.map(timestamp))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| match e.as_database_error() {
                            Some(d) if d.is_unique_violation() => {
                                StoreError::AlreadyExists(format!("a contact with id {} or reference {}", contact.id, contact.reference))
                            }
                            _ => db_error(e),
                        })?;
                    for record in consents {
                        insert_consent(&mut tx, &contact.id, record).await?;
                    }
                    audit_in(&mut tx, &self.audit, &[event(actor, contact.created_at, AuditAction::Create, "contact", &contact.id, &contact.id, "")]).await?;
                    tx.commit().await.map_err(db_error)
                }

                async fn contact(&self, actor: &Actor, id: &str) -> Result<Option<Contact>> {
                    let found = self
                        .contacts_where("id = $1 AND organization_id = $2", &[id, &actor.organization_id], 1)
                        .await?
                        .pop();
                    match &found {
                        Some(c) => self.audit_reads(vec![event(actor, crate::read_at(), AuditAction::Read, "contact", &c.id, &c.id, "")]).await?,
                        None => {
                            // Another organisation's record: refused, and the attempt recorded.
                            let elsewhere = sqlx::query("SELECT id FROM desk_contact WHERE id = $1")
                                .bind(id)
                                .fetch_optional(&self.write)
                                .await
                                .map_err(db_error)?;
                            if elsewhere.is_some() {
                                self.audit_reads(vec![event(actor, crate::read_at(), AuditAction::Refused, "contact", id, id, "")]).await?;
                            }
                        }
                    }
                    Ok(found)
                }

                async fn find_contacts(&self, actor: &Actor, query: &str, limit: u32) -> Result<Vec<Contact>> {
                    let mut folded = String::new();
                    for c in query.trim().to_lowercase().chars() {
                        crocevia_core::text::fold(c, &mut folded);
                    }
                    let words: Vec<String> = folded
                        .split_whitespace()
                        .map(|w| format!("%{}%", w.replace(['%', '_', '\\'], "")))
                        .collect();
                    if words.is_empty() {
                        return Ok(Vec::new());
                    }
                    let reference = query.trim().to_uppercase();
                    let mut binds: Vec<&str> = vec![&actor.organization_id, &reference];
                    let mut name_condition = Vec::new();
                    for (i, w) in words.iter().enumerate() {
                        name_condition.push(format!("search_name LIKE ${}", i + 3));
                        binds.push(w);
                    }
                    let condition = format!(
                        "organization_id = $1 AND erased_at IS NULL AND (upper(reference) = $2 OR ({}))",
                        name_condition.join(" AND ")
                    );
                    let found = self.contacts_where(&condition, &binds, limit).await?;
                    let at = crate::read_at();
                    self.audit_reads(
                        found
                            .iter()
                            .map(|c| event(actor, at, AuditAction::Read, "contact", &c.id, &c.id, "search"))
                            .collect(),
                    )
                    .await?;
                    Ok(found)
                }

                async fn recent_contacts(&self, actor: &Actor, limit: u32) -> Result<Vec<Contact>> {
                    Ok(self
                        .contacts_where("organization_id = $1", &[&actor.organization_id], limit)
                        .await?
                        .into_iter()
                        .map(without_personal)
                        .collect())
                }

                async fn update_contact(&self, actor: &Actor, contact: &Contact, at: DateTime<Utc>) -> Result<bool> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    if !self.owns_contact(&mut tx, actor, &contact.id).await? {
                        return Ok(false);
                    }
                    // $2 and $3 (organisation, reference) never change.
                    binds_contact(
                        sqlx::query(
                            "UPDATE desk_contact SET birth_year = $4, age_band = $5, sex = $6, citizenship = $7, \
                             comune_code = $8, languages = $9, given_name = $10, family_name = $11, phone = $12, \
                             email = $13, search_name = $14, last_activity_at = $15 \
                             WHERE id = $1 AND organization_id = $2 AND reference = $3",
                        ),
                        contact,
                    )
                    .bind(timestamp(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    log_facts(&mut tx, &[(CONTACT_FACTS, &contact.id)], actor, at).await?;
                    audit_in(&mut tx, &self.audit, &[event(actor, at, AuditAction::Update, "contact", &contact.id, &contact.id, "")]).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn record_consent(&self, actor: &Actor, contact_id: &str, record: &ConsentRecord) -> Result<bool> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    if !self.owns_contact(&mut tx, actor, contact_id).await? {
                        return Ok(false);
                    }
                    insert_consent(&mut tx, contact_id, record).await?;
                    if record.purpose == Purpose::Contact && !record.given {
                        // Details were kept only with this consent: they go with it.
                        sqlx::query(
                            "UPDATE desk_contact SET given_name = '', family_name = '', phone = '', email = '', \
                             search_name = '' WHERE id = $1",
                        )
                        .bind(contact_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    }
                    touch_contact(&mut tx, contact_id, record.at).await?;
                    let detail = format!("consent {} {}", record.purpose.as_str(), if record.given { "given" } else { "withdrawn" });
                    if record.purpose == Purpose::Statistics {
                        log_facts(&mut tx, &[(CONTACT_FACTS, contact_id)], actor, record.at).await?;
                    }
                    audit_in(&mut tx, &self.audit, &[event(actor, record.at, AuditAction::Update, "contact", contact_id, contact_id, &detail)]).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn consents(&self, contact_id: &str) -> Result<Vec<ConsentRecord>> {
                    sqlx::query("SELECT purpose, given, at, recorded_by FROM desk_consent WHERE contact_id = $1 ORDER BY at")
                        .bind(contact_id)
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(consent_of)
                        .collect()
                }

                async fn add_need(&self, actor: &Actor, need: &Need) -> Result<bool> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    if !self.owns_contact(&mut tx, actor, &need.contact_id).await? {
                        return Ok(false);
                    }
                    sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO desk_need ({NEED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    )))
                    .bind(&need.id)
                    .bind(&need.contact_id)
                    .bind(&need.organization_id)
                    .bind(need.term.as_str())
                    .bind(need.urgency.as_str())
                    .bind(&need.notes)
                    .bind(timestamp(need.created_at))
                    .bind(&need.created_by)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    touch_contact(&mut tx, &need.contact_id, need.created_at).await?;
                    log_facts(&mut tx, &[(NEED_FACTS, &need.id)], actor, need.created_at).await?;
                    audit_in(&mut tx, &self.audit, &[event(actor, need.created_at, AuditAction::Create, "need", &need.id, &need.contact_id, need.term.as_str())]).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn needs_of(&self, contact_id: &str) -> Result<Vec<Need>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT {NEED_COLUMNS} FROM desk_need WHERE contact_id = $1 ORDER BY created_at, id"
                    )))
                    .bind(contact_id)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(need_of)
                    .collect()
                }

                async fn create_referral(&self, actor: &Actor, r: &Referral, shared_person: &SharedPerson, sent: &ReferralEvent, mails: &[OutgoingMail]) -> Result<()> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    if !self.owns_contact(&mut tx, actor, &r.contact_id).await? {
                        return Err(StoreError::Database(format!("contact {} is not kept by {}", r.contact_id, actor.organization_id)));
                    }
                    let shared: Vec<&str> = r.shared.iter().map(|f| f.as_str()).collect();
                    sqlx::query(
                        "INSERT INTO desk_referral (id, contact_id, need_id, from_organization_id, from_account_id, \
                         service_id, to_organization_id, state, shared, shared_person, message, urgency, sent_at, \
                         due_at, updated_at, consent_override) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    )
                    .bind(&r.id)
                    .bind(&r.contact_id)
                    .bind(&r.need_id)
                    .bind(&r.from_organization_id)
                    .bind(&r.from_account_id)
                    .bind(&r.service_id)
                    .bind(&r.to_organization_id)
                    .bind(r.state.as_str())
                    .bind(shared.join(" "))
                    .bind(serde_json::to_string(shared_person).map_err(db_error)?)
                    .bind(&r.message)
                    .bind(r.urgency.as_str())
                    .bind(timestamp(r.sent_at))
                    .bind(timestamp(r.due_at))
                    .bind(timestamp(r.updated_at))
                    .bind(&r.consent_override)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    insert_event(&mut tx, sent).await?;
                    notify(&mut tx, &r.to_organization_id, &r.id, "received", r.sent_at).await?;
                    for mail in mails {
                        insert_mail(&mut *tx, mail).await?;
                    }
                    touch_contact(&mut tx, &r.contact_id, r.sent_at).await?;
                    let mut detail = format!("to {}: {}", r.to_organization_id, shared.join(" "));
                    if let Some(reason) = &r.consent_override {
                        detail.push_str(&format!("; without referral consent: {reason}"));
                    }
                    log_facts(&mut tx, &[(REFERRAL_FACTS, &r.id)], actor, r.sent_at).await?;
                    audit_in(&mut tx, &self.audit, &[event(actor, r.sent_at, AuditAction::Share, "referral", &r.id, &r.contact_id, &detail)]).await?;
                    tx.commit().await.map_err(db_error)
                }

                async fn referral(&self, actor: &Actor, id: &str) -> Result<Option<ReferralView>> {
                    let found = self
                        .referral_views(
                            "r.id = $1 AND (r.from_organization_id = $2 OR r.to_organization_id = $2)",
                            &[id.to_owned(), actor.organization_id.clone()],
                            1,
                        )
                        .await?
                        .pop();
                    match &found {
                        Some(v) => {
                            let r = &v.referral;
                            self.audit_reads(vec![event(actor, crate::read_at(), AuditAction::Read, "referral", &r.id, &r.contact_id, "")]).await?;
                        }
                        None => {
                            // Neither sender nor receiver: refused, and the attempt recorded.
                            let elsewhere = sqlx::query("SELECT contact_id FROM desk_referral WHERE id = $1")
                                .bind(id)
                                .fetch_optional(&self.write)
                                .await
                                .map_err(db_error)?;
                            if let Some(row) = elsewhere {
                                let contact_id: String = get(&row, "contact_id")?;
                                self.audit_reads(vec![event(actor, crate::read_at(), AuditAction::Refused, "referral", id, &contact_id, "")]).await?;
                            }
                        }
                    }
                    Ok(found)
                }

                async fn referrals_of(&self, organization_id: &str, direction: Direction, states: &[ReferralState], limit: u32) -> Result<Vec<ReferralView>> {
                    let column = match direction {
                        Direction::Sent => "r.from_organization_id",
                        Direction::Received => "r.to_organization_id",
                    };
                    let mut binds = vec![organization_id.to_owned()];
                    let mut condition = format!("{column} = $1");
                    if !states.is_empty() {
                        let marks: Vec<String> = (0..states.len()).map(|i| format!("${}", i + 2)).collect();
                        condition.push_str(&format!(" AND r.state IN ({})", marks.join(", ")));
                        binds.extend(states.iter().map(|s| s.as_str().to_owned()));
                    }
                    self.referral_views(&condition, &binds, limit).await
                }

                async fn referrals_of_contact(&self, contact_id: &str) -> Result<Vec<ReferralView>> {
                    self.referral_views("r.contact_id = $1", &[contact_id.to_owned()], 1000).await
                }

                async fn transition_referral(&self, actor: &Actor, e: &ReferralEvent, mails: &[OutgoingMail]) -> Result<bool> {
                    let Some(from) = e.from_state else {
                        return Err(StoreError::Database("a transition needs the state it starts from".into()));
                    };
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let row = sqlx::query(
                        "UPDATE desk_referral SET state = $3, updated_at = $4 WHERE id = $1 AND state = $2 \
                         RETURNING contact_id, from_organization_id, to_organization_id",
                    )
                    .bind(&e.referral_id)
                    .bind(from.as_str())
                    .bind(e.to_state.as_str())
                    .bind(timestamp(e.at))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    let Some(row) = row else {
                        return Ok(false);
                    };
                    let (contact_id, sender, receiver): (String, String, String) =
                        (get(&row, "contact_id")?, get(&row, "from_organization_id")?, get(&row, "to_organization_id")?);
                    insert_event(&mut tx, e).await?;
                    let (to_notify, kind) = match e.side {
                        Side::Sender => (receiver, "cancelled"),
                        Side::Receiver => (sender, "answered"),
                        Side::System => (sender, "expired"),
                    };
                    notify(&mut tx, &to_notify, &e.referral_id, kind, e.at).await?;
                    for mail in mails {
                        insert_mail(&mut *tx, mail).await?;
                    }
                    touch_contact(&mut tx, &contact_id, e.at).await?;
                    let detail = format!("{} → {}", from.as_str(), e.to_state.as_str());
                    log_facts(&mut tx, &[(REFERRAL_FACTS, &e.referral_id)], actor, e.at).await?;
                    audit_in(&mut tx, &self.audit, &[event(actor, e.at, AuditAction::Update, "referral", &e.referral_id, &contact_id, &detail)]).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn referral_events(&self, referral_id: &str) -> Result<Vec<ReferralEvent>> {
                    sqlx::query(
                        "SELECT referral_id, at, account_id, side, action, code, note, from_state, to_state \
                         FROM desk_referral_event WHERE referral_id = $1 ORDER BY position",
                    )
                    .bind(referral_id)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(event_of)
                    .collect()
                }

                async fn overdue_referrals(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Referral>> {
                    Ok(self
                        .referral_views("r.state = $1 AND r.due_at < $2", &["sent".to_owned(), timestamp(now)], limit)
                        .await?
                        .into_iter()
                        .map(|v| v.referral)
                        .collect())
                }

                async fn notifications(&self, organization_id: &str, limit: u32) -> Result<Vec<Notification>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT id, organization_id, referral_id, kind, created_at, read_at FROM desk_notification \
                         WHERE organization_id = $1 ORDER BY created_at DESC, id LIMIT {limit}"
                    )))
                    .bind(organization_id)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(|row| {
                        Ok(Notification {
                            id: get(row, "id")?,
                            organization_id: get(row, "organization_id")?,
                            referral_id: get(row, "referral_id")?,
                            kind: get(row, "kind")?,
                            created_at: time(row, "created_at")?,
                            read_at: maybe_time(row, "read_at")?,
                        })
                    })
                    .collect()
                }

                async fn mark_notifications_read(&self, organization_id: &str, at: DateTime<Utc>) -> Result<()> {
                    sqlx::query("UPDATE desk_notification SET read_at = $2 WHERE organization_id = $1 AND read_at IS NULL")
                        .bind(organization_id)
                        .bind(timestamp(at))
                        .execute(&self.write)
                        .await
                        .map(|_| ())
                        .map_err(db_error)
                }

                async fn queue_mail(&self, mail: &OutgoingMail) -> Result<()> {
                    let mut connection = self.write.acquire().await.map_err(db_error)?;
                    insert_mail(&mut *connection, mail).await
                }

                async fn pending_mail(&self, limit: u32, max_attempts: u32) -> Result<Vec<OutgoingMail>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT id, recipient, language, kind, link, created_at, attempts FROM desk_mail \
                         WHERE sent_at IS NULL AND attempts < $1 ORDER BY created_at, id LIMIT {limit}"
                    )))
                    .bind(i64::from(max_attempts))
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(mail_of)
                    .collect()
                }

                async fn mail_attempted(&self, id: &str, sent_at: Option<DateTime<Utc>>) -> Result<()> {
                    sqlx::query("UPDATE desk_mail SET attempts = attempts + 1, sent_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(sent_at.map(timestamp))
                        .execute(&self.write)
                        .await
                        .map(|_| ())
                        .map_err(db_error)
                }

                async fn export_person(&self, actor: &Actor, contact_id: &str) -> Result<Option<PersonExport>> {
                    let Some(contact) = self
                        .contacts_where("id = $1 AND organization_id = $2", &[contact_id, &actor.organization_id], 1)
                        .await?
                        .pop()
                    else {
                        return Ok(None);
                    };
                    let referrals = self.referrals_of_contact(contact_id).await?;
                    let mut timelines = Vec::new();
                    for v in &referrals {
                        timelines.extend(self.referral_events(&v.referral.id).await?);
                    }
                    self.audit_reads(vec![event(actor, crate::read_at(), AuditAction::Export, "contact", contact_id, contact_id, "")]).await?;
                    let audit = sqlx::query(
                        "SELECT seq, at, account_id, organization_id, action, subject_kind, subject_id, contact_id, \
                         detail, prev_hash, hash FROM desk_audit WHERE contact_id = $1 ORDER BY seq",
                    )
                    .bind(contact_id)
                    .fetch_all(&self.write)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(audit_of)
                    .collect::<Result<_>>()?;
                    Ok(Some(PersonExport {
                        consents: self.consents(contact_id).await?,
                        needs: self.needs_of(contact_id).await?,
                        contact,
                        referrals,
                        timelines,
                        audit,
                    }))
                }

                async fn erase_contact(&self, actor: &Actor, contact_id: &str, at: DateTime<Utc>) -> Result<bool> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let system = actor.account_id == Actor::system().account_id;
                    if !system && !self.owns_contact(&mut tx, actor, contact_id).await? {
                        return Ok(false);
                    }
                    let erased = sqlx::query(
                        "UPDATE desk_contact SET given_name = '', family_name = '', phone = '', email = '', \
                         search_name = '', erased_at = $2 WHERE id = $1",
                    )
                    .bind(contact_id)
                    .bind(timestamp(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
                    if erased == 0 {
                        return Ok(false);
                    }
                    sqlx::query("UPDATE desk_need SET notes = '' WHERE contact_id = $1")
                        .bind(contact_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    let shared = sqlx::query("SELECT id, shared_person FROM desk_referral WHERE contact_id = $1")
                        .bind(contact_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    for row in &shared {
                        let id: String = get(row, "id")?;
                        let mut person: SharedPerson = serde_json::from_str(&get::<String>(row, "shared_person")?).map_err(db_error)?;
                        (person.name, person.phone, person.email, person.need_notes) = (None, None, None, None);
                        sqlx::query("UPDATE desk_referral SET shared_person = $2, message = '' WHERE id = $1")
                            .bind(&id)
                            .bind(serde_json::to_string(&person).map_err(db_error)?)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                        sqlx::query("UPDATE desk_referral_event SET note = '' WHERE referral_id = $1")
                            .bind(&id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                    }
                    audit_in(&mut tx, &self.audit, &[event(actor, at, AuditAction::Erase, "contact", contact_id, contact_id, "")]).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn inactive_contacts(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<String>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT id FROM desk_contact WHERE erased_at IS NULL AND last_activity_at < $1 \
                         ORDER BY last_activity_at, id LIMIT {limit}"
                    )))
                    .bind(timestamp(before))
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(|row| get(row, "id"))
                    .collect()
                }

                async fn save_pathways(&self, pathways: &[Pathway]) -> Result<()> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    for p in pathways {
                        sqlx::query(
                            "INSERT INTO desk_pathway (protocol, term_code, service_id, position, territory) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (protocol, term_code, service_id) DO UPDATE SET position = excluded.position, territory = excluded.territory",
                        )
                        .bind(&p.protocol)
                        .bind(&p.term_code)
                        .bind(&p.service_id)
                        .bind(i64::from(p.position))
                        .bind(&p.territory)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    }
                    tx.commit().await.map_err(db_error)
                }

                async fn pathways_for(&self, term_codes: &[String]) -> Result<Vec<Pathway>> {
                    if term_codes.is_empty() {
                        return Ok(Vec::new());
                    }
                    let marks: Vec<String> = (1..=term_codes.len()).map(|i| format!("${i}")).collect();
                    let mut query = sqlx::query(AssertSqlSafe(format!(
                        "SELECT protocol, term_code, service_id, position, territory FROM desk_pathway \
                         WHERE term_code IN ({}) ORDER BY position, protocol, service_id",
                        marks.join(", ")
                    )));
                    for code in term_codes {
                        query = query.bind(code);
                    }
                    query
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(|row| {
                            Ok(Pathway {
                                protocol: get(row, "protocol")?,
                                territory: get(row, "territory")?,
                                term_code: get(row, "term_code")?,
                                service_id: get(row, "service_id")?,
                                position: u32::try_from(get::<i64>(row, "position")?).unwrap_or(u32::MAX),
                            })
                        })
                        .collect()
                }

                async fn need_facts_after(&self, after: &str, limit: u32) -> Result<Vec<NeedFact>> {
                    self.facts_page(NEED_FACT_SELECT, "n.id", after, limit, need_fact_of).await
                }

                async fn need_facts(&self, ids: &[String], of_contacts: bool) -> Result<Vec<NeedFact>> {
                    let column = if of_contacts { "n.contact_id" } else { "n.id" };
                    self.facts_in(NEED_FACT_SELECT, column, ids, need_fact_of).await
                }

                async fn referral_facts_after(&self, after: &str, limit: u32) -> Result<Vec<ReferralFact>> {
                    self.facts_page(REFERRAL_FACT_SELECT, "r.id", after, limit, referral_fact_of).await
                }

                async fn referral_facts(&self, ids: &[String]) -> Result<Vec<ReferralFact>> {
                    self.facts_in(REFERRAL_FACT_SELECT, "r.id", ids, referral_fact_of).await
                }

                async fn append_audit(&self, e: &AuditEvent) -> Result<AuditEntry> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let entry = audit_in(&mut tx, &self.audit, std::slice::from_ref(e)).await?.pop().expect("one entry");
                    tx.commit().await.map_err(db_error)?;
                    Ok(entry)
                }

                async fn audit_entries(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT seq, at, account_id, organization_id, action, subject_kind, subject_id, contact_id, \
                         detail, prev_hash, hash FROM desk_audit WHERE seq > $1 ORDER BY seq LIMIT {limit}"
                    )))
                    .bind(after_seq)
                    .fetch_all(&self.write)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(audit_of)
                    .collect()
                }

                async fn audit_entries_before(&self, before_seq: Option<i64>, organization_id: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT seq, at, account_id, organization_id, action, subject_kind, subject_id, contact_id, \
                         detail, prev_hash, hash FROM desk_audit WHERE seq < $1 AND ($2 = '' OR organization_id = $2) \
                         ORDER BY seq DESC LIMIT {limit}"
                    )))
                    .bind(before_seq.unwrap_or(i64::MAX))
                    .bind(organization_id.unwrap_or_default())
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(audit_of)
                    .collect()
                }

                fn audit_seal(&self) -> &AuditSeal {
                    &self.audit
                }

                async fn audit_head(&self) -> Result<Option<(i64, String)>> {
                    sqlx::query("SELECT seq, hash FROM desk_audit_head WHERE id = 1")
                        .fetch_optional(&self.write)
                        .await
                        .map_err(db_error)?
                        .map(|row| Ok((get(&row, "seq")?, get(&row, "hash")?)))
                        .transpose()
                }
            }

            async fn insert_consent(tx: &mut Tx<'_>, contact_id: &str, record: &ConsentRecord) -> Result<()> {
                sqlx::query("INSERT INTO desk_consent (contact_id, purpose, given, at, recorded_by) VALUES ($1, $2, $3, $4, $5)")
                    .bind(contact_id)
                    .bind(record.purpose.as_str())
                    .bind(i64::from(record.given))
                    .bind(timestamp(record.at))
                    .bind(&record.recorded_by)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            async fn insert_event(tx: &mut Tx<'_>, e: &ReferralEvent) -> Result<()> {
                sqlx::query(
                    "INSERT INTO desk_referral_event (referral_id, position, at, account_id, side, action, code, note, \
                     from_state, to_state) \
                     SELECT $1, COALESCE(MAX(position), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 \
                     FROM desk_referral_event WHERE referral_id = $1",
                )
                .bind(&e.referral_id)
                .bind(timestamp(e.at))
                .bind(&e.account_id)
                .bind(e.side.as_str())
                .bind(&e.action)
                .bind(&e.code)
                .bind(&e.note)
                .bind(e.from_state.map(ReferralState::as_str))
                .bind(e.to_state.as_str())
                .execute(&mut **tx)
                .await
                .map(|_| ())
                .map_err(db_error)
            }
        }
    };
}

pub(crate) use sql_desk_store;
