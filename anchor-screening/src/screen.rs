//! Screening a person or organisation, or an address, against a [`ScreeningIndex`].

use crate::address::address_key;
use crate::error::{Error, Result};
use crate::index::ScreeningIndex;
use crate::model::{BirthDate, EntityKind, Gender, PartialDate, SanctionsEntity, SourceList};
use crate::normalize::{query_tokens, MAX_TOKENS_PER_SUBJECT};
use crate::similarity::{compare_tokens, compare_tokens_by, token_similarity, NameComparison, TokenMatch};

/// Names of one subject screened at most; the others are not screened.
pub const MAX_NAMES_PER_SUBJECT: usize = 16;

/// Who is being screened. At least one name is needed for name screening.
///
/// The cost of screening one subject is bounded whatever its size: at most
/// [`MAX_NAMES_PER_SUBJECT`] names, each read up to [`crate::MAX_NAME_BYTES`] bytes, at most
/// [`crate::MAX_TOKENS_PER_NAME`] tokens per name and [`crate::MAX_TOKENS_PER_SUBJECT`] in all,
/// and tokens longer than [`crate::MAX_FUZZY_TOKEN_BYTES`] compared exactly. Callers cap names
/// at their edge (docs/security.md); these bounds hold for any caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScreeningSubject {
    /// Names in any script (legal name, transliterations, former names…).
    pub names: Vec<String>,
    /// Person or organisation, when known; restricts matches to compatible list entries.
    pub kind: Option<EntityKind>,
    /// Date of birth, possibly partial.
    pub birth_date: Option<PartialDate>,
    /// Nationalities or countries of residence (names or ISO codes).
    pub countries: Vec<String>,
    /// Gender, when known.
    pub gender: Option<Gender>,
}

impl ScreeningSubject {
    /// A natural person with one name.
    pub fn person(name: impl Into<String>) -> Self {
        Self { names: vec![name.into()], kind: Some(EntityKind::Person), ..Self::default() }
    }

    /// An organisation with one name.
    pub fn organization(name: impl Into<String>) -> Self {
        Self { names: vec![name.into()], kind: Some(EntityKind::Organization), ..Self::default() }
    }

    /// Set the date of birth.
    pub fn with_birth_date(mut self, date: PartialDate) -> Self {
        self.birth_date = Some(date);
        self
    }

    /// Add a nationality or country of residence.
    pub fn with_country(mut self, country: impl Into<String>) -> Self {
        self.countries.push(country.into());
        self
    }

    /// Set the gender.
    pub fn with_gender(mut self, gender: Gender) -> Self {
        self.gender = Some(gender);
        self
    }
}

/// Decision thresholds and limits.
///
/// Defaults (calibrated on the evaluation in `docs/screening.md`): a hit scoring at least
/// `match_threshold` (0.90) is a [`HitDecision::Match`] (deny / freeze), at least
/// `review_threshold` (0.80) a [`HitDecision::Review`]; lower scores are not reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScreeningConfig {
    /// Score from which a hit is a match (default 0.90).
    pub match_threshold: f32,
    /// Score from which a hit needs review (default 0.80).
    pub review_threshold: f32,
    /// Names scored per screened name at most (default 64).
    pub max_candidates: usize,
    /// Hits returned at most, best first (default 10).
    pub max_hits: usize,
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        Self { match_threshold: 0.90, review_threshold: 0.80, max_candidates: 64, max_hits: 10 }
    }
}

impl ScreeningConfig {
    /// Check that `0 < review_threshold <= match_threshold <= 1`.
    pub fn validate(&self) -> Result<()> {
        if !(self.review_threshold > 0.0
            && self.review_threshold <= self.match_threshold
            && self.match_threshold <= 1.0)
        {
            return Err(Error::Config(format!(
                "need 0 < review ({}) <= match ({}) <= 1",
                self.review_threshold, self.match_threshold
            )));
        }
        Ok(())
    }
}

/// What a hit means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitDecision {
    /// Between the review and the match threshold: hold and let a person decide.
    Review,
    /// At or above the match threshold, or an exact address match: deny.
    Match,
}

/// One reason contributing to a hit's score.
#[derive(Debug, Clone, PartialEq)]
pub enum ScoreFactor {
    /// A screened name token paired with a listed name token.
    TokenPair {
        /// The screened token (normalised).
        query: String,
        /// The listed token (normalised; two tokens joined with `+` for [`TokenMatch::Joined`]).
        listed: String,
        /// How they matched.
        kind: TokenMatch,
        /// Token similarity in `[0, 1]`.
        similarity: f32,
        /// Weight (rarity × role) of the pair.
        weight: f32,
    },
    /// A screened token with no counterpart in the listed name (lowers the score).
    UnmatchedQueryToken {
        /// The token.
        token: String,
    },
    /// A listed token with no counterpart in the screened name (lowers the score a little).
    UnmatchedListedToken {
        /// The token.
        token: String,
    },
    /// The matched name is a weak / low-quality alias.
    WeakAlias {
        /// Score change.
        effect: f32,
    },
    /// Date-of-birth comparison.
    BirthDate {
        /// Score change (positive when the dates agree).
        effect: f32,
        /// What was compared.
        detail: String,
    },
    /// Country comparison.
    Country {
        /// Score change.
        effect: f32,
        /// What was compared.
        detail: String,
    },
    /// Gender comparison.
    Gender {
        /// Score change.
        effect: f32,
    },
    /// An exact digital-currency address match.
    CryptoAddress {
        /// Currency code as listed.
        currency: String,
        /// Address as listed.
        address: String,
    },
}

/// One listed entity that matched a screening, with the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningHit {
    /// The list.
    pub list: SourceList,
    /// The list's identifier of the entity.
    pub source_id: String,
    /// Position of the entity in [`ScreeningIndex::entities`].
    pub entity_index: usize,
    /// The entity's primary name.
    pub primary_name: String,
    /// The listed name (or address) that matched, as published.
    pub matched_name: String,
    /// The screened name that matched it.
    pub query_name: String,
    /// Name similarity before qualifiers, `[0, 1]`.
    pub name_score: f32,
    /// Final score after date-of-birth, country, gender and alias-strength adjustments, `[0, 1]`.
    pub score: f32,
    /// Match or review.
    pub decision: HitDecision,
    /// Everything that contributed to the score.
    pub factors: Vec<ScoreFactor>,
}

/// Share of the query's total rarity weight a listed name must reach to be scored.
const MIN_CANDIDATE_FRACTION: f32 = 0.5;
const WEAK_ALIAS_EFFECT: f32 = -0.08;

fn kinds_compatible(query: Option<EntityKind>, listed: EntityKind) -> bool {
    match query {
        None => true,
        Some(EntityKind::Person) => listed == EntityKind::Person,
        Some(_) => listed != EntityKind::Person,
    }
}

fn day_number((y, m, d): (u16, u8, u8)) -> i64 {
    i64::from(y) * 372 + i64::from(m) * 31 + i64::from(d)
}

/// Compare a screened date of birth with an entity's: the score change and an explanation.
pub(crate) fn birth_date_effect(query: PartialDate, listed: &[BirthDate]) -> Option<(f32, String)> {
    let mut best: Option<(f32, String)> = None;
    let (qa, qb) = query.bounds();
    for date in listed {
        let slack = if date.approximate { 1 } else { 0 };
        let (la, _) = date.from.bounds();
        let (_, lb) = date.to.bounds();
        let (la, lb) = ((la.0.saturating_sub(slack), la.1, la.2), (lb.0 + slack, lb.1, lb.2));
        let effect = if day_number(qb) >= day_number(la) && day_number(qa) <= day_number(lb) {
            0.05
        } else if qa.0 <= lb.0 && qb.0 >= la.0 {
            // Same year, different month or day: a day/month swap costs less.
            let swapped = query.month.zip(query.day).map(|(m, d)| (query.year, d, m));
            let swap_hit = swapped.is_some_and(|s| {
                s.1 <= 12 && day_number(s) >= day_number(la) && day_number(s) <= day_number(lb)
            });
            if swap_hit {
                -0.05
            } else {
                -0.10
            }
        } else {
            let gap = if qb.0 < la.0 { la.0 - qb.0 } else { qa.0.saturating_sub(lb.0) };
            if gap <= 2 {
                -0.15
            } else {
                -0.25
            }
        };
        let detail = if date.from == date.to {
            format!("{query} vs listed {}", date.from)
        } else {
            format!("{query} vs listed {}–{}", date.from, date.to)
        };
        if best.as_ref().is_none_or(|(b, _)| effect > *b) {
            best = Some((effect, detail));
        }
    }
    best
}

/// `codes`: the screened subject's countries as ISO codes (resolved once per screening).
fn country_effect(codes: &[&str], entity: &SanctionsEntity) -> Option<(f32, String)> {
    if codes.is_empty() {
        return None;
    }
    let listed: Vec<&str> = entity.countries.iter().filter_map(|c| c.country.iso2.as_deref()).collect();
    if listed.is_empty() {
        return None;
    }
    if codes.iter().any(|c| listed.contains(c)) {
        Some((0.02, format!("{} linked to the listed entity", codes.join(","))))
    } else {
        Some((-0.10, format!("{} not among listed {}", codes.join(","), listed.join(","))))
    }
}

fn explain(
    cmp: &NameComparison,
    q: &[crate::normalize::Token],
    l: &[crate::normalize::Token],
) -> Vec<ScoreFactor> {
    let mut factors = Vec::new();
    for p in &cmp.pairs {
        let join = |tokens: &[crate::normalize::Token], from: usize, to: usize| {
            tokens[from..=to].iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join("+")
        };
        let (query, listed) = match p.joined {
            Some((true, last)) => (join(q, p.query, last), l[p.listed].text.clone()),
            Some((false, last)) => (q[p.query].text.clone(), join(l, p.listed, last)),
            None => (q[p.query].text.clone(), l[p.listed].text.clone()),
        };
        factors.push(ScoreFactor::TokenPair {
            query,
            listed,
            kind: p.kind,
            similarity: p.similarity,
            weight: p.weight,
        });
    }
    factors.extend(
        cmp.unmatched_query.iter().map(|&i| ScoreFactor::UnmatchedQueryToken { token: q[i].text.clone() }),
    );
    factors.extend(
        cmp.unmatched_listed.iter().map(|&j| ScoreFactor::UnmatchedListedToken { token: l[j].text.clone() }),
    );
    factors
}

impl ScreeningIndex {
    /// Screen a person or organisation by name (plus date of birth, country and gender when
    /// given). Returns hits at or above the review threshold, best first, at most one per entity.
    ///
    /// Candidates come from the index (never a full scan); each is scored by one-to-one token
    /// pairing with rarity weights, then adjusted by the qualifiers; see [`ScoreFactor`].
    pub fn screen(&self, subject: &ScreeningSubject, config: &ScreeningConfig) -> Vec<ScreeningHit> {
        let mut best: crate::index::FxMap<u32, ScreeningHit> = crate::index::FxMap::default();
        let country_codes: Vec<&str> =
            subject.countries.iter().filter_map(|c| crate::countries::iso2(c)).collect();
        let mut token_budget = MAX_TOKENS_PER_SUBJECT;
        let mut deletion_budget = crate::index::MAX_DELETIONS_PER_SUBJECT;
        for query_name in subject.names.iter().take(MAX_NAMES_PER_SUBJECT) {
            let q = query_tokens(query_name, &mut token_budget);
            if q.is_empty() {
                continue;
            }
            let (expansions, qw) = self.analyse(&q, &mut deletion_budget);
            // Token similarities already computed while expanding, by (query token, token id).
            let mut known: crate::index::FxMap<(u32, u32), Option<(f32, TokenMatch)>> = expansions
                .iter()
                .enumerate()
                .flat_map(|(qi, ex)| ex.iter().map(move |&(id, s, kind)| ((qi as u32, id), Some((s, kind)))))
                .collect();
            for (name_id, _) in
                self.candidates(&expansions, &qw, config.max_candidates, MIN_CANDIDATE_FRACTION)
            {
                let name = &self.names[name_id as usize];
                let entity = &self.entities[name.entity as usize];
                if !kinds_compatible(subject.kind, entity.kind) {
                    continue;
                }
                let (l, ids) = self.name_tokens_of(name);
                let mut lw_buf = [0f32; 48];
                let (l, ids) = (&l[..l.len().min(48)], &ids[..ids.len().min(48)]);
                for (w, &id) in lw_buf.iter_mut().zip(ids) {
                    *w = self.token_weight(id);
                }
                let lw = &lw_buf[..ids.len()];
                let cmp = compare_tokens_by(&q, &qw, l, lw, |i, j| {
                    *known.entry((i as u32, ids[j])).or_insert_with(|| token_similarity(&q[i], &l[j]))
                });
                // Qualifiers can add at most 0.07; skip what cannot reach the review band.
                if cmp.score + 0.07 < config.review_threshold {
                    continue;
                }
                let mut factors = explain(&cmp, &q, l);
                let mut score = cmp.score;
                if name.weak {
                    score += WEAK_ALIAS_EFFECT;
                    factors.push(ScoreFactor::WeakAlias { effect: WEAK_ALIAS_EFFECT });
                }
                if let Some((effect, detail)) =
                    subject.birth_date.and_then(|d| birth_date_effect(d, &entity.birth_dates))
                {
                    score += effect;
                    factors.push(ScoreFactor::BirthDate { effect, detail });
                }
                if let Some((effect, detail)) = country_effect(&country_codes, entity) {
                    score += effect;
                    factors.push(ScoreFactor::Country { effect, detail });
                }
                if let (Some(a), Some(b)) = (subject.gender, entity.gender) {
                    if a != b {
                        score -= 0.15;
                        factors.push(ScoreFactor::Gender { effect: -0.15 });
                    }
                }
                let score = score.clamp(0.0, 1.0);
                if score < config.review_threshold {
                    continue;
                }
                if best.get(&name.entity).is_some_and(|h| h.score >= score) {
                    continue;
                }
                let decision =
                    if score >= config.match_threshold { HitDecision::Match } else { HitDecision::Review };
                best.insert(
                    name.entity,
                    ScreeningHit {
                        list: entity.list.clone(),
                        source_id: entity.source_id.clone(),
                        entity_index: name.entity as usize,
                        primary_name: entity.primary_name().to_owned(),
                        matched_name: entity.names[name.name as usize].full_name.clone(),
                        query_name: query_name.clone(),
                        name_score: cmp.score,
                        score,
                        decision,
                        factors,
                    },
                );
            }
        }
        let mut hits: Vec<ScreeningHit> = best.into_values().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entity_index.cmp(&b.entity_index)));
        hits.truncate(config.max_hits);
        hits
    }

    /// Exact lookup of a digital-currency address of any currency. A Stellar muxed account
    /// (`M…`) is screened as its `G…` account; hex addresses ignore case. Every hit is a
    /// [`HitDecision::Match`] with score 1.0.
    pub fn screen_address(&self, address: &str) -> Vec<ScreeningHit> {
        let key = address_key(address);
        let Some(found) = self.addresses.get(&key) else {
            return Vec::new();
        };
        found
            .iter()
            .map(|&(e, c)| {
                let entity = &self.entities[e as usize];
                let crypto = &entity.crypto_addresses[c as usize];
                ScreeningHit {
                    list: entity.list.clone(),
                    source_id: entity.source_id.clone(),
                    entity_index: e as usize,
                    primary_name: entity.primary_name().to_owned(),
                    matched_name: crypto.address.clone(),
                    query_name: address.to_owned(),
                    name_score: 1.0,
                    score: 1.0,
                    decision: HitDecision::Match,
                    factors: vec![ScoreFactor::CryptoAddress {
                        currency: crypto.currency.clone(),
                        address: crypto.address.clone(),
                    }],
                }
            })
            .collect()
    }
}

/// Similarity of two names in `[0, 1]` without an index (every token weighs by its role only):
/// the same normalisation and token pairing the screening uses. Useful for one-off comparisons
/// and for evaluating the matcher on labelled pairs.
pub fn compare_names(a: &str, b: &str) -> f32 {
    let (mut budget_a, mut budget_b) = (usize::MAX, usize::MAX);
    let (q, l) = (query_tokens(a, &mut budget_a), query_tokens(b, &mut budget_b));
    let qw: Vec<f32> = q.iter().map(|t| t.role.weight()).collect();
    let lw: Vec<f32> = l.iter().map(|t| t.role.weight()).collect();
    compare_tokens(&q, &qw, &l, &lw).score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(query: PartialDate, listed: BirthDate) -> f32 {
        birth_date_effect(query, &[listed]).map_or(0.0, |(e, _)| e)
    }

    #[test]
    fn birth_date_effects_follow_precision_and_ranges() {
        let exact = BirthDate::on(PartialDate::ymd(1962, 11, 23));
        assert_eq!(effect(PartialDate::ymd(1962, 11, 23), exact), 0.05);
        assert_eq!(effect(PartialDate::year(1962), exact), 0.05, "year-only query overlaps");
        assert_eq!(effect(PartialDate::ymd(1962, 11, 24), exact), -0.10, "same year, other day");
        assert_eq!(
            effect(PartialDate::ymd(1962, 11, 23), BirthDate::on(PartialDate::ymd(1962, 11, 23))),
            0.05
        );
        let swapped = BirthDate::on(PartialDate::ymd(1962, 3, 5));
        assert_eq!(effect(PartialDate::ymd(1962, 5, 3), swapped), -0.05, "day/month swap");
        assert_eq!(effect(PartialDate::ymd(1963, 11, 23), exact), -0.15);
        assert_eq!(effect(PartialDate::ymd(1990, 1, 1), exact), -0.25);
        let circa = BirthDate { approximate: true, ..BirthDate::on(PartialDate::year(1960)) };
        assert_eq!(effect(PartialDate::ymd(1961, 6, 1), circa), 0.05, "approximately = ±1 year");
        let range =
            BirthDate { from: PartialDate::year(1955), to: PartialDate::year(1958), approximate: false };
        assert_eq!(effect(PartialDate::ymd(1957, 1, 1), range), 0.05);
        assert!(birth_date_effect(PartialDate::year(1960), &[]).is_none());
    }

    #[test]
    fn a_subject_is_screened_within_its_bounds() {
        use crate::index::ScreeningIndex;
        use crate::model::SourceList;
        use crate::normalize::MAX_TOKENS_PER_NAME;
        let index = ScreeningIndex::build([SanctionsEntity::new(
            SourceList::UkSanctionsList,
            "P1",
            EntityKind::Person,
            "Vladimir Putin",
        )]);
        let config = ScreeningConfig::default();
        // The listed name as the last of too many names is not screened; within the bound it is.
        let mut names: Vec<String> = (0..MAX_NAMES_PER_SUBJECT).map(|i| format!("Nobody{i}")).collect();
        names.push("Vladimir Putin".into());
        let subject = ScreeningSubject { names: names.clone(), ..ScreeningSubject::default() };
        assert!(index.screen(&subject, &config).is_empty(), "names beyond the bound are not read");
        names.swap(0, MAX_NAMES_PER_SUBJECT);
        let subject = ScreeningSubject { names, ..ScreeningSubject::default() };
        assert_eq!(index.screen(&subject, &config).len(), 1);
        // Tokens beyond the per-name bound are not read.
        let filler: String = (0..MAX_TOKENS_PER_NAME).map(|i| format!("filler{i:02} ")).collect();
        let subject = ScreeningSubject::person(format!("{filler}Vladimir Putin"));
        assert!(index.screen(&subject, &config).is_empty());
        // Hostile sizes come back, with the name still found when it comes first.
        let hostile = format!("Vladimir Putin {}", "щ".repeat(200_000));
        let hits = index.screen(&ScreeningSubject::person(hostile), &config);
        assert_eq!(hits.first().map(|h| h.source_id.as_str()), Some("P1"));
        let hostile: String = (0..50_000).map(|i| format!("{} ", "щ".repeat(10 + i % 7))).collect();
        assert!(index.screen(&ScreeningSubject::person(hostile), &config).is_empty());
    }

    #[test]
    fn kinds_and_config() {
        assert!(kinds_compatible(None, EntityKind::Vessel));
        assert!(kinds_compatible(Some(EntityKind::Organization), EntityKind::Vessel));
        assert!(!kinds_compatible(Some(EntityKind::Person), EntityKind::Organization));
        assert!(!kinds_compatible(Some(EntityKind::Organization), EntityKind::Person));
        assert!(ScreeningConfig::default().validate().is_ok());
    }
}
