//! `coupon generate --count N [--code-prefix P]`: many coupons with the same terms, created
//! concurrently, with a progress bar on stderr and one line per coupon on stdout as each one
//! is created (so a huge batch is never held in memory).

use anyhow::Context as _;
use coupon_client::api::{Coupon, CreateCouponRequest, ErrorCode};
use coupon_client::{ClientError, HttpCouponClient};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;

use crate::exit::Done;
use crate::generate::BulkArgs;
use crate::output::Output;

/// Crockford's base-32 alphabet: no I, L, O, U, so codes survive being read aloud.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters after the prefix: 32^8 ≈ 10^12 codes per prefix.
const CODE_SUFFIX_LENGTH: usize = 8;
/// Tries per coupon when a random code is already taken.
const CODE_TRIES_MAX: u32 = 3;

pub async fn run(
    client: &HttpCouponClient,
    request: CreateCouponRequest,
    bulk: &BulkArgs,
    output: Output,
) -> anyhow::Result<Done> {
    let bar = progress_bar(bulk.count);
    let prefix = bulk.code_prefix.as_deref().map(|prefix| prefix.trim().to_uppercase());
    let concurrency = usize::try_from(bulk.concurrency).unwrap_or(1);
    let mut created = 0_u64;
    let mut results = stream::iter(0..bulk.count)
        .map(|_| create_one(client, &request, prefix.as_deref()))
        .buffer_unordered(concurrency);
    while let Some(result) = results.next().await {
        // The first failure stops the batch: the next ones would fail the same way.
        let coupon = result.with_context(|| {
            format!("created {created} of {} coupons, then the next one failed", bulk.count)
        })?;
        created += 1;
        bar.inc(1);
        bar.suspend(|| output.emit(&coupon, || format!("{}\t{}", coupon.id, coupon.code)));
    }
    bar.finish_and_clear();
    eprintln!("created {created} coupons");
    Ok(Done::Success)
}

/// One coupon; with a prefix, a fresh random code per try.
async fn create_one(
    client: &HttpCouponClient,
    template: &CreateCouponRequest,
    prefix: Option<&str>,
) -> Result<Coupon, ClientError> {
    let mut request = template.clone();
    let mut tries = 1;
    loop {
        request.code = prefix.map(random_code);
        match client.generate(&request).await {
            Err(error)
                if error.code() == Some(ErrorCode::CodeAlreadyExists)
                    && prefix.is_some()
                    && tries < CODE_TRIES_MAX =>
            {
                tries += 1;
            }
            result => return result.map(|reply| reply.value),
        }
    }
}

fn random_code(prefix: &str) -> String {
    let mut rng = rand::thread_rng();
    let suffix: String = (0..CODE_SUFFIX_LENGTH)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect();
    format!("{prefix}{suffix}")
}

fn progress_bar(count: u64) -> ProgressBar {
    let bar = ProgressBar::new(count);
    // The template is a constant; a mistake in it shows as the default style, not a failure.
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} coupons ({per_sec}, eta {eta})")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::{random_code, CODE_ALPHABET, CODE_SUFFIX_LENGTH};

    #[test]
    fn codes_are_the_prefix_and_unambiguous_characters() {
        let code = random_code("SUMMER-");
        assert_eq!(code.len(), "SUMMER-".len() + CODE_SUFFIX_LENGTH);
        assert!(code.starts_with("SUMMER-"));
        assert!(code["SUMMER-".len()..].bytes().all(|byte| CODE_ALPHABET.contains(&byte)));
        assert_ne!(random_code("A"), random_code("A"));
    }
}
