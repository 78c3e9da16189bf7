//! Criterion micro-benchmarks: `cargo bench --bench micro`.
//!
//! - `seal/envelope_2KiB_3_recipients`: one submission's envelope sealed into memory, the part of
//!   a submission's cost that is crypto;
//! - `limiter/check_*`: one rate-limit decision, for a returning client and for a stream of
//!   distinct clients filling the table (what a flood of addresses costs).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sealpost::config::Rate;
use sealpost::limit::Limiter;
use sealpost::seal::{Recipients, seal_envelope_into};

mod common;

fn sealing(c: &mut Criterion) {
    let keys: Vec<String> = (0..3).map(|_| age::x25519::Identity::generate().to_public().to_string()).collect();
    let Ok(recipients) = Recipients::parse(&keys.join("\n")) else { return };
    let envelope = common::envelope();
    c.bench_function("seal/envelope_2KiB_3_recipients", |b| {
        b.iter(|| seal_envelope_into(black_box(&recipients), black_box(&envelope), Vec::with_capacity(4096)))
    });
}

fn limiter(c: &mut Criterion) {
    // Generous enough that no check is refused: the benchmark measures the decision, not a wait.
    let rate = Rate { burst: NonZeroU32::MAX, period: Duration::from_nanos(1) };
    let limiter = Limiter::new(rate, rate, 100_000);
    let returning = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
    c.bench_function("limiter/check_returning_client", |b| b.iter(|| limiter.check(black_box(returning))));
    let mut n: u64 = 0;
    c.bench_function("limiter/check_new_client_each_time", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            let network = Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(n) << 64));
            limiter.check(black_box(IpAddr::V6(network)))
        })
    });
}

criterion_group!(benches, sealing, limiter);
criterion_main!(benches);
