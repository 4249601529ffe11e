//! HTTP for Crocevia: the HSDS API, the write API, operations endpoints. The only crate that
//! knows HTTP; it talks to storage only through the `Store` trait.

pub mod assets;
pub mod audit_trail;
pub mod auth;
pub mod backoffice;
pub mod charts;
pub mod client;
pub mod desk;
pub mod error;
pub mod hsds_api;
pub mod html_errors;
pub mod kit;
pub mod observatory;
pub mod oidc;
pub mod openapi;
pub mod ops;
pub mod portal;
pub mod rate_limit;
pub mod search_api;
pub mod search_cache;
pub mod search_demand;
pub mod security;
pub mod survey;
pub mod territory_api;
pub mod write_api;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use crocevia_core::clock::Clock;
use crocevia_core::territory::Territories;
use crocevia_observatory::ObservatoryService;
use crocevia_search::{SearchIndex, SearchService};
use crocevia_store::Store;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The URL clients reach this server at, without a trailing slash (for `openapi_url`).
    pub public_url: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub desk: desk::DeskSettings,
    /// Back-office login through an OpenID Connect provider, when configured.
    pub oidc: Option<oidc::OidcSettings>,
    /// The disclosure threshold and the reach of services for "unmet needs".
    pub observatory: crocevia_observatory::Settings,
    /// Search answers kept for repeated queries (0: no cache); see [`search_cache`].
    pub search_cache_entries: usize,
    /// Origins pages may load images from beside this server (a map tile server), added to
    /// the Content-Security-Policy's `img-src`; see [`security`].
    pub img_sources: Vec<String>,
    /// Proxies whose `X-Forwarded-For` names the client (see [`client`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The bearer token `/metrics` asks for; without one it answers loopback requests only.
    pub metrics_token: Option<crocevia_core::secret::Secret>,
    /// Requests per client address on login, anonymous survey pages and search.
    pub rate_limits: rate_limit::RateLimits,
    /// Started with `--demo`: the login page lists the demo accounts, and only then may they
    /// sign in.
    pub demo: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://localhost:8080".into(),
            max_body_bytes: 2 * 1024 * 1024,
            desk: desk::DeskSettings::default(),
            oidc: None,
            observatory: crocevia_observatory::Settings::default(),
            search_cache_entries: search_cache::DEFAULT_CAPACITY,
            img_sources: Vec::new(),
            trusted_proxies: Vec::new(),
            metrics_token: None,
            rate_limits: rate_limit::RateLimits::default(),
            demo: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<ops::Metrics>,
    pub search: Arc<SearchService>,
    /// Recent search answers (see [`search_cache`]).
    pub search_cache: Arc<search_cache::SearchCache>,
    /// The indicators' facts, following the change log like `search`.
    pub observatory: Arc<ObservatoryService>,
    /// The OpenID Connect provider, when one is configured.
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// What each observatory dataset holds, computed once.
    pub statistics_catalog: Arc<crocevia_app::statistics::official::CatalogCache>,
    /// The rate limits' counts per client address.
    pub limiters: Arc<rate_limit::Limiters>,
    /// Failed password logins per (e-mail, client address).
    pub login_throttle: Arc<auth::LoginThrottle>,
    /// The portal's searches and opened results, gathered until the next flush.
    pub search_demand: Arc<crocevia_app::search_demand::SearchDemandRecorder>,
}

/// Italy's territories, parsed once per process from the data embedded in the binary.
pub fn territories() -> &'static Territories {
    static TERRITORIES: std::sync::OnceLock<Territories> = std::sync::OnceLock::new();
    TERRITORIES.get_or_init(|| {
        crocevia_core::territory::load_embedded().expect("the embedded territories are valid")
    })
}

impl AppState {
    /// The desk's use cases over this server's store, clock and settings.
    pub fn desk(&self) -> crocevia_app::desk::Desk<'_, dyn Store> {
        crocevia_app::desk::Desk {
            store: &*self.store,
            clock: &*self.clock,
            settings: &self.config.desk,
            public_url: &self.config.public_url,
        }
    }

    /// The official statistics' views over this server's store and catalogues.
    pub fn official_statistics(
        &self,
    ) -> crocevia_app::statistics::official::OfficialStatistics<'_, dyn Store> {
        crocevia_app::statistics::official::OfficialStatistics {
            store: &*self.store,
            territories: territories(),
            catalogs: &self.statistics_catalog,
        }
    }

    /// The network's indicators over this server's observatory, directory and clock.
    pub fn indicators(&self) -> crocevia_app::statistics::indicators::Indicators<'_, dyn Store> {
        crocevia_app::statistics::indicators::Indicators {
            store: &*self.store,
            observatory: &self.observatory,
            clock: &*self.clock,
        }
    }

    /// A state whose search index lives in memory (filled from the store on first use).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        let index = SearchIndex::in_memory().expect("an in-memory index opens");
        let search = Arc::new(SearchService::new(store.clone(), index, territories()));
        Self::with_search(store, clock, config, search)
    }

    pub fn with_search(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: WebConfig,
        search: Arc<SearchService>,
    ) -> Self {
        let oidc = config.oidc.clone().map(|s| Arc::new(oidc::Oidc::new(s)));
        let observatory = Arc::new(ObservatoryService::new(
            store.clone(),
            territories(),
            config.observatory,
        ));
        let min_visitors = u64::from(config.observatory.rule.threshold());
        AppState {
            search_demand: Arc::new(crocevia_app::search_demand::SearchDemandRecorder::new(
                min_visitors,
            )),
            limiters: Arc::new(rate_limit::Limiters::new(&config.rate_limits)),
            login_throttle: Arc::default(),
            search_cache: Arc::new(search_cache::SearchCache::new(config.search_cache_entries)),
            observatory,
            store,
            clock,
            oidc,
            config: Arc::new(config),
            metrics: Arc::default(),
            search,
            statistics_catalog: Arc::default(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    use axum::middleware::from_fn_with_state as limited;
    use axum::routing::{post, put};
    let hsds = Router::new()
        .route("/", get(hsds_api::root))
        .route("/services", get(hsds_api::services))
        .route("/services/{id}", get(hsds_api::service))
        .route("/organizations", get(hsds_api::organizations))
        .route("/organizations/{id}", get(hsds_api::organization))
        .route("/taxonomies", get(hsds_api::taxonomies))
        .route("/taxonomies/{id}", get(hsds_api::taxonomy))
        .route("/taxonomy_terms", get(hsds_api::taxonomy_terms))
        .route("/taxonomy_terms/{id}", get(hsds_api::taxonomy_term))
        .route("/service_at_locations", get(hsds_api::service_at_locations))
        .route(
            "/service_at_locations/{id}",
            get(hsds_api::service_at_location),
        )
        .layer(limited(state.clone(), rate_limit::hsds_search))
        .layer(CorsLayer::permissive());
    let write = Router::new()
        .route("/organizations", post(write_api::create_organization))
        .route(
            "/organizations/{id}",
            put(write_api::replace_organization).delete(write_api::delete_organization),
        )
        .route("/services", post(write_api::create_service))
        .route(
            "/services/{id}",
            put(write_api::replace_service).delete(write_api::delete_service),
        )
        .route("/locations", post(write_api::create_location))
        .route(
            "/locations/{id}",
            put(write_api::replace_location).delete(write_api::delete_location),
        );
    let territories = Router::new()
        .route("/regions", get(territory_api::regions))
        .route("/provinces", get(territory_api::provinces))
        .route("/comuni", get(territory_api::comuni))
        .route("/comuni/{code}", get(territory_api::comune))
        .route("/comuni/{code}/near", get(territory_api::comuni_near));
    let api = Router::new()
        .route("/hsds/", get(hsds_api::root).layer(CorsLayer::permissive()))
        .nest("/hsds", hsds)
        .nest("/v1", write)
        .nest("/territories", territories)
        .route(
            "/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        .route("/credits", get(ops::credits_endpoint))
        .route(
            "/search",
            get(search_api::search).layer(limited(state.clone(), rate_limit::search)),
        )
        .route("/observatory/datasets", get(observatory::api::datasets))
        .route(
            "/observatory/indicators",
            get(observatory::indicators_api::list),
        )
        .route(
            "/observatory/indicators/{id}",
            get(observatory::indicators_api::indicator),
        )
        .route(
            "/observatory/datasets/{id}/observations",
            get(observatory::api::observations),
        )
        .route(
            "/observatory/datasets/{id}/table",
            get(observatory::table::table_endpoint),
        )
        .fallback(hsds_api::unknown_path);
    let public_pages = Router::new()
        .route("/{lang}/", get(portal::home))
        .route(
            "/{lang}/search",
            get(portal::search).layer(limited(state.clone(), rate_limit::search)),
        )
        .route("/{lang}/services/{id}", get(portal::service))
        .route("/{lang}/credits", get(portal::credits))
        .route("/{lang}/observatory", get(observatory::home::page))
        .route(
            "/{lang}/observatory/indicators/{id}",
            get(observatory::indicator_views::page),
        )
        .route(
            "/{lang}/observatory/{dataset}",
            get(observatory::views::page),
        )
        .route("/language", axum::routing::post(portal::choose_language))
        .layer(axum::middleware::from_fn(html_errors::pages_answer_html));
    // Personal pages: never cached, never named in a Referer (see `security`).
    let personal_pages = Router::new()
        .route(
            "/{lang}/login",
            get(backoffice::login_form)
                .post(backoffice::login)
                .layer(limited(state.clone(), rate_limit::login)),
        )
        .route(
            "/{lang}/login/oidc",
            get(oidc::start).layer(limited(state.clone(), rate_limit::login)),
        )
        .route(oidc::CALLBACK_PATH, get(oidc::callback))
        .route("/{lang}/logout", post(backoffice::logout))
        .route("/{lang}/backoffice", get(backoffice::services))
        .route("/{lang}/backoffice/stale", get(backoffice::stale))
        .route(
            "/{lang}/backoffice/services/{id}/confirm",
            post(backoffice::confirm),
        )
        .route(
            "/{lang}/backoffice/services/new",
            get(backoffice::service_editor::new_form).post(backoffice::service_editor::create),
        )
        .route(
            "/{lang}/backoffice/services/{id}/edit",
            get(backoffice::service_editor::edit_form).post(backoffice::service_editor::save),
        )
        .route(
            "/{lang}/backoffice/locations",
            get(backoffice::location_editor::list),
        )
        .route(
            "/{lang}/backoffice/locations/new",
            get(backoffice::location_editor::new_form).post(backoffice::location_editor::create),
        )
        .route(
            "/{lang}/backoffice/locations/{id}/edit",
            get(backoffice::location_editor::edit_form).post(backoffice::location_editor::save),
        )
        .route(
            "/{lang}/backoffice/import",
            get(backoffice::import::form)
                .post(backoffice::import::upload)
                .layer(DefaultBodyLimit::max(backoffice::import::MAX_UPLOAD_BYTES)),
        )
        .route("/{lang}/backoffice/audit", get(backoffice::audit::page))
        .route("/{lang}/backoffice/search-demand", get(search_demand::page))
        .route("/{lang}/desk", get(desk::contacts::home))
        .route(
            "/{lang}/desk/contacts/new",
            get(desk::contacts::new_form).post(desk::contacts::create),
        )
        .route("/{lang}/desk/contacts/{id}", get(desk::contacts::show))
        .route(
            "/{lang}/desk/contacts/{id}/edit",
            get(desk::contacts::edit_form).post(desk::contacts::update),
        )
        .route(
            "/{lang}/desk/contacts/{id}/consents",
            post(desk::contacts::record_consent),
        )
        .route(
            "/{lang}/desk/contacts/{id}/needs",
            post(desk::contacts::add_need),
        )
        .route(
            "/{lang}/desk/contacts/{id}/export",
            get(desk::contacts::export),
        )
        .route(
            "/{lang}/desk/contacts/{id}/erase",
            post(desk::contacts::erase),
        )
        .route(
            "/{lang}/desk/contacts/{id}/needs/{need}/proposals",
            get(desk::referrals::proposals),
        )
        .route(
            "/{lang}/desk/contacts/{id}/needs/{need}/refer",
            get(desk::referrals::refer_form).post(desk::referrals::refer),
        )
        .route("/{lang}/desk/referrals/{id}", get(desk::referrals::show))
        .route(
            "/{lang}/desk/referrals/{id}/act",
            post(desk::referrals::act),
        )
        .route("/{lang}/desk/inbox", get(desk::referrals::inbox))
        .route("/{lang}/desk/sent", get(desk::referrals::sent))
        .route("/{lang}/desk/overdue", get(desk::referrals::overdue))
        .route(
            "/{lang}/backoffice/accounts",
            get(backoffice::accounts::list).post(backoffice::accounts::create),
        )
        .route(
            "/{lang}/backoffice/accounts/{id}/reset",
            post(backoffice::accounts::reset),
        )
        .route(
            "/{lang}/surveys",
            get(survey::manage::list)
                .post(survey::manage::create)
                .layer(DefaultBodyLimit::max(survey::manage::MAX_FORM_BYTES)),
        )
        .route("/{lang}/surveys/{id}", get(survey::manage::show))
        .route(
            "/{lang}/surveys/{id}/versions",
            post(survey::manage::add_version)
                .layer(DefaultBodyLimit::max(survey::manage::MAX_FORM_BYTES)),
        )
        .route("/{lang}/surveys/{id}/deploy", post(survey::manage::deploy))
        .route(
            "/{lang}/surveys/{id}/audience",
            post(survey::manage::audience),
        )
        .route(
            "/{lang}/surveys/{id}/versions/{number}/analysis",
            get(survey::analysis::page),
        )
        .route(
            "/{lang}/surveys/{id}/versions/{number}/export.csv",
            get(survey::export::csv),
        )
        .route(
            "/{lang}/surveys/{id}/versions/{number}/export.xlsx",
            get(survey::export::xlsx),
        )
        .route(
            "/{lang}/s/{token}",
            get(survey::respond::show)
                .post(survey::respond::submit)
                .layer(limited(state.clone(), rate_limit::survey)),
        )
        .route(
            "/{lang}/s/{token}/resume/{resume}",
            get(survey::respond::resume),
        )
        .route(
            "/{lang}/backoffice/password",
            get(backoffice::accounts::password_form).post(backoffice::accounts::change_password),
        )
        .layer(axum::middleware::from_fn(html_errors::pages_answer_html))
        .layer(axum::middleware::map_response(security::personal));
    Router::new()
        .route("/", get(portal::root))
        .merge(public_pages)
        .merge(personal_pages)
        .route("/healthz", get(ops::healthz))
        .route("/static/{*path}", get(assets::serve_static))
        .route("/metrics", get(ops::metrics))
        .nest("/api", api)
        .fallback(html_errors::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::map_response_with_state(
            Arc::new(security::Policy::new(
                &state.config.public_url,
                &state.config.img_sources,
            )),
            security::headers,
        ))
        // Pages and API answers compressed as they are written (a level that costs little
        // CPU); static files carry their forms compressed at build time, which this skips.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(4)),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
