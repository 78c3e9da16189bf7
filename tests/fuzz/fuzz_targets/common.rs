//! The form schema every form target parses against: the shipped example config.

use std::path::Path;
use std::sync::OnceLock;

use sealpost::config::Config;

/// The example config, with a fresh recipient.
pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let key = age::x25519::Identity::generate().to_public().to_string();
        Config::parse(sealpost::demo::EXAMPLE_CONFIG, Path::new("fuzz.toml"), Path::new("/fuzz"), &mut |_| Ok(key.clone()))
            .expect("the example config parses")
    })
}
