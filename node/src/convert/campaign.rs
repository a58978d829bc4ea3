//! A campaign's wire requests into commands: the rules of its codes (checked exactly as a coupon's
//! terms are), and an import's codes (CSV or a JSON array), every bad or repeated line named.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use coupon_client::api::{
    CreateCampaignRequest, CreateCouponRequest, FieldError, GenerateCodesRequest,
};
use raft_store::command::{Command, NewCampaign};
use raft_store::domain::{parse_count, CampaignId, CampaignName, CodePattern, CouponCode, Invalid};
use raft_store::limits::{
    CAMPAIGN_CODES_PER_COMMAND_MAX, CODE_JOB_CODES_MAX, GENERATED_CODE_LENGTH,
};

use super::{new_coupon, FieldErrors, InvalidFields};

/// The campaign `request` asks for, at wall-clock time `now`.
pub fn new_campaign(
    request: &CreateCampaignRequest,
    now: DateTime<Utc>,
) -> Result<NewCampaign, InvalidFields> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", CampaignName::parse(&request.name));
    let budget = match request.budget {
        Some(budget) => {
            errors.check("budget.redemptions", parse_count(budget.redemptions, 1)).map(Some)
        }
        None => Some(None),
    };
    // The codes' terms are a coupon's: one set of rules checks both. The code itself is not the
    // campaign's business (its codes come later), so none is drawn.
    let mut as_coupon = CreateCouponRequest::new(
        request.discount.clone(),
        request.expires_at,
        request.usage_limit_per_code,
    );
    as_coupon.code = None;
    as_coupon.starts_at = request.starts_at;
    as_coupon.per_user_limit = request.per_user_limit;
    as_coupon.min_order_amount = request.min_order_amount;
    as_coupon.max_discount_amount = request.max_discount_amount;
    as_coupon.metadata = request.metadata.clone();
    let terms = match new_coupon(&as_coupon, now, [0; GENERATED_CODE_LENGTH]) {
        Ok((_, terms)) => Some(terms),
        Err(InvalidFields(field_errors)) => {
            for error in field_errors {
                let field = match error.field.as_str() {
                    "usage_limit" => "usage_limit_per_code",
                    other => other,
                };
                errors.add(field, error.message);
            }
            None
        }
    };
    let campaign = (|| Some(NewCampaign { name: name?, terms: terms?, budget: budget? }))();
    errors.finish(campaign)
}

/// A job that generates `request.count` codes for the campaign from `seed`; the prefix is
/// normalised as codes are (trimmed, upper case), the length is 12 when absent.
pub fn code_job_command(
    campaign_id: CampaignId,
    request: &GenerateCodesRequest,
    seed: [u8; 16],
) -> Result<Command, InvalidFields> {
    let mut errors = FieldErrors::default();
    if !(1..=CODE_JOB_CODES_MAX).contains(&request.count) {
        let invalid = Invalid::OutOfRange { min: 1, max: u64::from(CODE_JOB_CODES_MAX) };
        errors.add("count", invalid.to_string());
    }
    let pattern = CodePattern {
        prefix: request.prefix.as_deref().unwrap_or_default().trim().to_ascii_uppercase(),
        length: request.length.unwrap_or(GENERATED_CODE_LENGTH as u8),
    };
    if let Err(invalid) = pattern.check() {
        let field = if invalid == Invalid::CodeCharacters { "prefix" } else { "length" };
        errors.add(field, invalid.to_string());
    }
    errors.finish(Some(Command::StartCodeJob { campaign_id, seed, count: request.count, pattern }))
}

/// The codes of an import: a JSON array of strings (`application/json`) or one code a line
/// (`text/csv`, the first column, blank lines skipped). Each must be a valid code, none twice;
/// 1 to `CAMPAIGN_CODES_PER_COMMAND_MAX` of them. Errors name the line (from 1) or array index.
pub fn campaign_codes(body: &[u8], json: bool) -> Result<Vec<(String, CouponCode)>, InvalidFields> {
    let entries: Vec<(String, String)> = if json {
        let values: Vec<String> = serde_json::from_slice(body).map_err(|error| {
            InvalidFields(vec![FieldError::new(
                "body",
                format!("must be a JSON array of codes: {error}"),
            )])
        })?;
        values
            .into_iter()
            .enumerate()
            .map(|(index, code)| (format!("codes[{index}]"), code))
            .collect()
    } else {
        let text = std::str::from_utf8(body)
            .map_err(|_| InvalidFields(vec![FieldError::new("body", "must be UTF-8 text")]))?;
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                let first_column = line.split(',').next().unwrap_or_default();
                (format!("line {}", index + 1), first_column.trim().trim_matches('"').to_owned())
            })
            .collect()
    };
    if entries.is_empty() || entries.len() > CAMPAIGN_CODES_PER_COMMAND_MAX {
        let message = format!("must hold 1 to {CAMPAIGN_CODES_PER_COMMAND_MAX} codes");
        return Err(InvalidFields(vec![FieldError::new("body", message)]));
    }
    let mut errors = FieldErrors::default();
    let mut seen: HashMap<CouponCode, String> = HashMap::new();
    let mut codes = Vec::with_capacity(entries.len());
    for (place, raw) in entries {
        let Some(code) = errors.check(&place, CouponCode::parse(&raw)) else { continue };
        if let Some(first) = seen.get(&code) {
            errors.add(&place, format!("repeats {code}, first at {first}"));
            continue;
        }
        seen.insert(code.clone(), place.clone());
        codes.push((place, code));
    }
    errors.finish(Some(codes))
}

#[cfg(test)]
mod tests {
    use super::campaign_codes;

    #[test]
    fn an_import_names_each_bad_or_repeated_line() {
        let codes = campaign_codes(b"code\nWIN-1\n\nwin-2,extra\n", false);
        // "code" is a valid code too: a header line is the caller's to leave out.
        assert_eq!(codes.unwrap().len(), 3);
        let error = campaign_codes(b"WIN-1\nwin-1\nx\n", false).unwrap_err();
        let fields: Vec<&str> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["line 2", "line 3"]);
        let error = campaign_codes(br#"["A-11", "a b"]"#, true).unwrap_err();
        assert_eq!(error.0[0].field, "codes[1]");
        assert!(campaign_codes(b"", false).is_err());
        assert!(campaign_codes(b"{}", true).is_err());
    }
}
