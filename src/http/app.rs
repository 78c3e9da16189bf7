//! The service's state: the forms, limits, catalogs, spool, rate limiters, timing tokens and the
//! staff API's own state, built once from the config and shared by every listener.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use crate::config::{Config, FormSpec, Limits, Site, TrustedProxies};
use crate::i18n::Catalog;
use crate::limit::slots::Slots;
use crate::limit::{self, Limiter, TimingTokens};
use crate::metrics::Metrics;
use crate::pull::{StaffApi, StaffService};
use crate::reply::{Deriver, Handles, Receipt, ReceiptPool, Threads};
use crate::spool::Spool;

/// How long the sent page's handle keeps the receipt for the page that shows it once.
pub(super) const RECEIPT_HANDLE_TTL: Duration = Duration::from_secs(10 * 60);

/// Receipts waiting to be shown at once: at `limits.global`'s usual rates, ten minutes of
/// submissions. A full table means a submission's sent page says no receipt could be made.
pub(super) const RECEIPT_HANDLES: usize = 10_000;

/// How long a status page's handle lets the person write again or delete the conversation.
pub(super) const CONVERSATION_HANDLE_TTL: Duration = Duration::from_secs(60 * 60);

/// Conversation handles held at once.
pub(super) const CONVERSATION_HANDLES: usize = 10_000;

/// How long a submission waits for a fresh receipt when the pool is empty (a burst beyond
/// [`crate::reply::POOL_SIZE`], faster than receipts are made); then it is stored without one,
/// and the sent page says so. Short: a person's message matters more than its receipt.
pub(super) const RECEIPT_WAIT: Duration = Duration::from_secs(1);

/// Everything replies need (DESIGN §10): the conversations on disk, fresh receipts, the deriving
/// threads (which hold the salt) and the one-time handles.
pub struct Conversations {
    pub(super) threads: Arc<Threads>,
    pub(super) pool: ReceiptPool,
    /// The deriving threads, shared by status checks and the pool.
    pub(super) deriver: Deriver,
    /// Sent page handle → the receipt it shows once.
    pub(super) receipts: Handles<Receipt>,
    /// Status page handle → the conversation a follow-up or deletion is for.
    pub(super) open: Handles<(sealpost_format::id::ThreadId, String)>,
}

impl Conversations {
    /// The replies' state over `threads`, deriving with `salt`.
    pub fn new(threads: Threads, salt: [u8; 32]) -> Conversations {
        let deriver = Deriver::start(salt);
        Conversations {
            threads: Arc::new(threads),
            pool: ReceiptPool::new(deriver.clone()),
            deriver,
            receipts: Handles::new(RECEIPT_HANDLE_TTL, RECEIPT_HANDLES),
            open: Handles::new(CONVERSATION_HANDLE_TTL, CONVERSATION_HANDLES),
        }
    }
}

/// The service's shared state: config, catalogs, spool, limiter.
pub struct App {
    /// The forms, shared with the staff API, whose access lists their recipients files are.
    pub(super) forms: Arc<[FormSpec]>,
    pub(super) limits: Limits,
    pub(super) trusted_proxies: TrustedProxies,
    /// The onion origin sent as `Onion-Location` on clearnet pages (`server.onion_location`).
    pub(super) onion_location: Option<String>,
    /// Whether the onion listener serves `/staff/v1` too (`server.onion_staff`).
    pub(super) onion_staff: bool,
    pub(super) staff_locale: String,
    /// The catalogs, replaced whole on `SIGHUP` ([`App::reload_catalogs`]); a request takes one
    /// snapshot and renders with it.
    catalog: RwLock<Arc<Catalog>>,
    /// `pages.translations`, read again on `SIGHUP`.
    translations: Option<PathBuf>,
    pub(super) spool: Spool,
    pub(super) limiter: Limiter,
    /// Shared with the blocking task that stores a submission, which may outlive the handler.
    pub(super) tokens: Arc<TimingTokens>,
    /// The staff API: its own state, and what it serves from ([`crate::pull`]).
    staff: Arc<StaffService>,
    /// Where the "leave this site quickly" link on every page goes.
    pub(super) quick_exit_url: String,
    /// The organisation's logo and privacy notice; its texts are in the catalogs, read again with
    /// them on `SIGHUP`.
    pub(super) site: Site,
    /// Requests each client has in flight (`limits.max_requests_per_client`).
    pub(super) request_slots: Arc<Slots>,
    /// Connections each directly connected peer holds (`limits.max_connections_per_client`).
    pub(super) connection_slots: Arc<Slots>,
    /// Receipts, conversations and their handles.
    pub(super) replies: Conversations,
    /// `replies.keep`, for the pages that say when a conversation ends.
    pub(super) replies_keep: Duration,
    /// Counters and gauges for the ops listener ([`crate::metrics`]).
    pub(super) metrics: Arc<Metrics>,
}

/// Spent timing tokens to remember: what the clearnet global budget can accept within
/// `max_fill_time`, plus as much again for the onion listener's own budget when there is one.
pub(super) fn token_capacity(global: crate::config::Rate, max_fill_time: Duration, onion_listener: bool) -> usize {
    let one = TimingTokens::capacity_for(global, max_fill_time);
    let budgets = if onion_listener { 2 } else { 1 };
    one.saturating_mul(budgets).min(limit::MAX_REDEEMED_TOKENS)
}

impl App {
    /// Builds the state. `token_key` signs timing tokens (see [`load_token_key`]).
    pub fn new(config: Config, catalog: Catalog, spool: Spool, token_key: [u8; 32], replies: Conversations) -> App {
        let limits = config.limits;
        let capacity = token_capacity(limits.global, limits.max_fill_time, config.server.onion_listen.is_some());
        let forms: Arc<[FormSpec]> = config.forms.into();
        let staff = StaffApi::new(&limits, config.staff.listen.is_some());
        let staff = StaffService::new(
            staff,
            forms.clone(),
            spool.clone(),
            config.server.trusted_proxies.clone(),
            replies.threads.clone(),
        );
        App {
            staff: Arc::new(staff),
            limiter: Limiter::new(limits.per_client, limits.global, limits.rate_limit_table),
            forms,
            trusted_proxies: config.server.trusted_proxies,
            onion_location: config.server.onion_location,
            onion_staff: config.server.onion_staff,
            staff_locale: config.staff.locale,
            catalog: RwLock::new(Arc::new(catalog)),
            translations: config.pages.translations.clone(),
            spool,
            tokens: Arc::new(TimingTokens::with_capacity(token_key, capacity)),
            request_slots: Slots::new(limits.max_requests_per_client, b"requests in flight"),
            connection_slots: Slots::new(limits.max_connections_per_client, b"connections"),
            metrics: Arc::new(Metrics::new()),
            limits,
            quick_exit_url: config.pages.quick_exit_url,
            site: config.site,
            replies,
            replies_keep: config.replies.keep,
        }
    }

    pub(super) fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The spool, for tests and the staff API.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// The counters and gauges.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The metrics in the Prometheus text format, with the gauges read from the spool (per
    /// form: entries and bytes) and the limiter just now. Blocking: it scans `ready/`.
    pub fn scrape(&self) -> String {
        let mut per_form: std::collections::BTreeMap<String, (u64, u64)> =
            self.forms.iter().map(|f| (f.id.clone(), (0, 0))).collect();
        if let Ok(waiting) = self.spool.waiting() {
            for entry in waiting {
                let slot = per_form.entry(entry.form).or_default();
                slot.0 += 1;
                slot.1 += entry.bytes;
            }
        }
        let per_form: Vec<(String, u64, u64)> = per_form.into_iter().map(|(f, (n, b))| (f, n, b)).collect();
        self.metrics.set_state(&per_form, self.spool.used_bytes(), self.limits.max_spool, self.limiter.tracked());
        self.metrics.encode()
    }

    /// Prunes the rate-limit table (called periodically by each listener).
    pub fn prune(&self) {
        self.limiter.prune();
        self.tokens.prune(SystemTime::now(), self.limits.max_fill_time);
        self.staff.staff().prune();
        self.spool.prune_holds(std::time::Instant::now());
    }

    /// The conversations on disk, for the retention sweep ([`crate::retention::ThreadSource`]),
    /// which removes those past `replies.keep`.
    pub fn threads(&self) -> &Arc<crate::reply::Threads> {
        &self.replies.threads
    }

    /// Reads every form's recipients file again (on `SIGHUP`). A file that fails keeps its
    /// form's current recipients and is logged in one line; the others take effect.
    pub fn reload_recipients(&self) {
        for form in self.forms.iter() {
            match form.reload_recipients() {
                Ok(count) => tracing::info!(form = %form.id, recipients = count, "recipients reloaded"),
                Err(e) => tracing::error!("recipients reload failed, keeping the current ones: {e}"),
            }
        }
    }

    /// The catalogs in force now.
    pub(super) fn catalog(&self) -> Arc<Catalog> {
        // A poisoned lock still holds a complete value: replacing is a single assignment.
        self.catalog.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads the operator's catalogs again (on `SIGHUP`). If they do not load, or a form's
    /// English label is missing from them, the current catalogs stay and one line says why.
    pub fn reload_catalogs(&self) {
        let loaded = Catalog::load(self.translations.as_deref(), &self.site.texts)
            .and_then(|catalog| catalog.check_forms(&self.forms, &self.staff_locale).map(|()| catalog));
        match loaded {
            Ok(catalog) => {
                *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
                tracing::info!("catalogs reloaded");
            }
            Err(e) => tracing::error!("catalog reload failed, keeping the current ones: {e}"),
        }
    }

    /// The staff API, for the routers that serve it.
    pub(super) fn staff(&self) -> &Arc<StaffService> {
        &self.staff
    }
}

/// Reads `<data_dir>/token.key`, creating it (0600, 32 random bytes, fsynced) if absent. Keeping
/// it across restarts means a restart does not void forms that people have open.
pub fn load_token_key(data_dir: &std::path::Path) -> std::io::Result<[u8; 32]> {
    sealpost_format::files::read_or_create_key(data_dir, "token.key")
}
