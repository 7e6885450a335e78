//! Token and name similarity: bounded, confusable-aware edit distance; one-to-one token pairing
//! with weights; joined/split token handling.

use crate::normalize::{is_vowelless, skeleton, Role, Token, MAX_FUZZY_TOKEN_BYTES};

/// How a query token was paired with a listed token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMatch {
    /// Identical after normalisation.
    Exact,
    /// Two spellings of one name (Mohammed / Muhammad) or one legal form (LLC / OOO).
    SpellingFamily,
    /// Within the edit budget for its length.
    Fuzzy,
    /// Same consonant skeleton, one side written without vowels (Arabic/Hebrew transliteration).
    Phonetic,
    /// A one-letter initial against a token with that initial.
    Initial,
    /// One token against two adjacent tokens written together ("abdulrahman" / "abdul rahman").
    Joined,
}

/// Edit budget (in weighted edits) for tokens whose shorter side has `len` characters.
pub(crate) fn edit_budget(len: usize) -> f32 {
    match len {
        0..=3 => 0.0,
        4..=5 => 1.0,
        6..=8 => 1.5,
        _ => 2.0,
    }
}

/// Visually or phonetically confusable character pairs (cost 0.6 instead of 1 in the distance).
const CONFUSABLE_PAIRS: [(u8, u8); 19] = [
    (b'0', b'o'),
    (b'1', b'l'),
    (b'1', b'i'),
    (b'5', b's'),
    (b'3', b'e'),
    (b'4', b'a'),
    (b'8', b'b'),
    (b'c', b'k'),
    (b'i', b'y'),
    (b'o', b'u'),
    (b'e', b'i'),
    (b'i', b'j'),
    (b'a', b'e'),
    (b'a', b'o'),
    (b'f', b'v'),
    (b'q', b'k'),
    (b's', b'z'),
    (b'u', b'w'),
    (b'e', b'y'),
];

/// `CONFUSABLE[a]` has bit `b - 64` (letters) or `b` (digits, in the low half) set when `a`
/// and `b` are confusable; built at compile time.
static CONFUSABLE: [u128; 128] = {
    let mut table = [0u128; 128];
    let mut i = 0;
    while i < CONFUSABLE_PAIRS.len() {
        let (a, b) = CONFUSABLE_PAIRS[i];
        table[a as usize] |= 1u128 << b;
        table[b as usize] |= 1u128 << a;
        i += 1;
    }
    table
};

fn confusable(a: u8, b: u8) -> bool {
    a < 128 && b < 128 && CONFUSABLE[a as usize] & (1u128 << b) != 0
}

/// Optimal-string-alignment distance where confusable substitutions cost 0.6; `None` once the
/// distance is certain to exceed `max`.
pub(crate) fn weighted_osa(a: &[u8], b: &[u8], max: f32) -> Option<f32> {
    if (a.len() as f32 - b.len() as f32).abs() > max {
        return None;
    }
    if a == b {
        return Some(0.0);
    }
    const MAX_LEN: usize = MAX_FUZZY_TOKEN_BYTES;
    let n = b.len();
    if n > MAX_LEN || a.len() > MAX_LEN {
        return None;
    }
    let mut rows = [[0f32; MAX_LEN + 1]; 3];
    let [mut prev2, mut prev, mut cur] = [0usize, 1, 2];
    for (j, cell) in rows[prev].iter_mut().enumerate().take(n + 1) {
        *cell = j as f32;
    }
    for i in 1..=a.len() {
        rows[cur][0] = i as f32;
        let mut row_min = rows[cur][0];
        for j in 1..=n {
            let cost = if a[i - 1] == b[j - 1] {
                0.0
            } else if confusable(a[i - 1], b[j - 1]) {
                0.6
            } else {
                1.0
            };
            let mut v = (rows[prev][j] + 1.0).min(rows[cur][j - 1] + 1.0).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1.0);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    let d = rows[prev][n];
    (d <= max).then_some(d)
}

/// Similarity of two tokens in `[0, 1]` and how they matched; `None` when unrelated.
pub(crate) fn token_similarity(q: &Token, l: &Token) -> Option<(f32, TokenMatch)> {
    similarity(q, l, true)
}

/// Only matches within the edit budget (what candidate generation needs); cheaper.
pub(crate) fn token_similarity_within_budget(q: &Token, l: &Token) -> Option<(f32, TokenMatch)> {
    similarity(q, l, false)
}

fn similarity(q: &Token, l: &Token, soft: bool) -> Option<(f32, TokenMatch)> {
    if q.text == l.text {
        return Some((1.0, TokenMatch::Exact));
    }
    if q.key == l.key {
        return Some((0.95, TokenMatch::SpellingFamily));
    }
    // Beyond the fuzzy bound a token is compared exactly (the edit distance stops there too).
    if q.text.len() > MAX_FUZZY_TOKEN_BYTES || l.text.len() > MAX_FUZZY_TOKEN_BYTES {
        return None;
    }
    if q.role == Role::Number || l.role == Role::Number {
        return None;
    }
    if q.role == Role::Syllable && l.role == Role::Syllable {
        return None;
    }
    let (qb, lb) = (q.text.as_bytes(), l.text.as_bytes());
    if qb.len() == 1 || lb.len() == 1 {
        return (qb[0] == lb[0] && (q.role == Role::Initial || l.role == Role::Initial))
            .then_some((0.8, TokenMatch::Initial));
    }
    let shorter = qb.len().min(lb.len());
    let longer = qb.len().max(lb.len());
    if shorter == 3 && longer == 4 {
        // A three-letter token may only be a four-letter one with a letter dropped ("ref"/"aref").
        let (s, l) = if qb.len() == 3 { (qb, lb) } else { (lb, qb) };
        return (l.starts_with(s) || l.ends_with(s)).then_some((0.7, TokenMatch::Fuzzy));
    }
    let budget = edit_budget(shorter);
    // Beyond the budget, tokens are still related when at most ~40% of the longer one differs
    // (Scholz/Schulze, Merkel/Merkur), scored lower; one distance computation serves both.
    let soft_max = if soft && shorter >= 4 { longer as f32 * 0.4 } else { 0.0 };
    let d = if budget > 0.0 || soft_max > 0.0 { weighted_osa(qb, lb, budget.max(soft_max)) } else { None };
    // A different first letter is rarer in real spelling variation than inside the word.
    let first_letter = if qb[0] != lb[0] && !confusable(qb[0], lb[0]) { 0.08 } else { 0.0 };
    if let Some(d) = d.filter(|d| *d <= budget) {
        let s = 1.0 - d / longer as f32 - first_letter;
        return Some((s.clamp(0.0, 0.99), TokenMatch::Fuzzy));
    }
    if (is_vowelless(&q.text) || is_vowelless(&l.text))
        && shorter >= 3
        && skeleton(&q.text) == skeleton(&l.text)
    {
        return Some((0.85, TokenMatch::Phonetic));
    }
    if let Some(d) = d {
        let s = 1.0 - d / longer as f32 - first_letter - 0.1;
        if s >= 0.55 {
            return Some((s, TokenMatch::Fuzzy));
        }
    }
    None
}

/// One scored pairing, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pair {
    pub(crate) query: usize,
    pub(crate) listed: usize,
    /// Tokens joined into one: `(true, last)` when query tokens `query..=last` were joined,
    /// `(false, last)` for listed tokens `listed..=last`.
    pub(crate) joined: Option<(bool, usize)>,
    pub(crate) similarity: f32,
    pub(crate) kind: TokenMatch,
    pub(crate) weight: f32,
}

/// The outcome of comparing two tokenised names.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameComparison {
    pub(crate) score: f32,
    pub(crate) pairs: Vec<Pair>,
    pub(crate) unmatched_query: Vec<usize>,
    pub(crate) unmatched_listed: Vec<usize>,
}

/// Weight of unmatched tokens relative to matched ones: a customer's extra token says more
/// against a match than a listed middle name the customer did not give.
const UNMATCHED_QUERY_FACTOR: f32 = 0.7;
const UNMATCHED_LISTED_FACTOR: f32 = 0.25;
const SUBSTITUTION_FACTOR: f32 = 0.5;

/// Compare a query name with a listed name. `qw`/`lw` are per-token weights (rarity × role).
pub(crate) fn compare_tokens(q: &[Token], qw: &[f32], l: &[Token], lw: &[f32]) -> NameComparison {
    compare_tokens_by(q, qw, l, lw, |i, j| token_similarity(&q[i], &l[j]))
}

/// [`compare_tokens`] with the token similarity supplied (the index caches it per query).
pub(crate) fn compare_tokens_by(
    q: &[Token],
    qw: &[f32],
    l: &[Token],
    lw: &[f32],
    mut similarity: impl FnMut(usize, usize) -> Option<(f32, TokenMatch)>,
) -> NameComparison {
    if q.is_empty() || l.is_empty() {
        return NameComparison::default();
    }
    // Names longer than this are pathological; their tail is ignored (keeps the bookkeeping on
    // the stack).
    const MAX_TOKENS: usize = 48;
    let (q, qw) = (&q[..q.len().min(MAX_TOKENS)], &qw[..q.len().min(MAX_TOKENS)]);
    let (l, lw) = (&l[..l.len().min(MAX_TOKENS)], &lw[..l.len().min(MAX_TOKENS)]);
    let mut candidates: Vec<(f32, usize, usize, TokenMatch)> = Vec::with_capacity(q.len() * l.len());
    for i in 0..q.len() {
        for j in 0..l.len() {
            if let Some((s, kind)) = similarity(i, j) {
                candidates.push((s, i, j, kind));
            }
        }
    }
    // Best similarity first; among equals, the heavier tokens first.
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((qw[b.1] + lw[b.2]).total_cmp(&(qw[a.1] + lw[a.2]))));
    let mut q_used_buf = [false; MAX_TOKENS];
    let mut l_used_buf = [false; MAX_TOKENS];
    let (q_used, l_used) = (&mut q_used_buf[..q.len()], &mut l_used_buf[..l.len()]);
    let mut pairs = Vec::with_capacity(q.len().min(l.len()));
    // Joined / split tokens first ("SiemensAG" / "Siemens AG", "abdulrahman" / "abdul rahman"):
    // a token close to two adjacent tokens of the other side written together, unless it has an
    // exact counterpart.
    let mut exact_q_buf = [false; MAX_TOKENS];
    let mut exact_l_buf = [false; MAX_TOKENS];
    let (exact_q, exact_l) = (&mut exact_q_buf[..q.len()], &mut exact_l_buf[..l.len()]);
    for &(_, i, j, kind) in &candidates {
        if kind == TokenMatch::Exact {
            exact_q[i] = true;
            exact_l[j] = true;
        }
    }
    let (mut q_block_buf, mut l_block_buf) = (exact_q_buf, exact_l_buf);
    let (q_block, l_block) = (&mut q_block_buf[..q.len()], &mut l_block_buf[..l.len()]);
    join_pass(q, qw, q_block, l, lw, l_block, &mut pairs, false);
    join_pass(l, lw, l_block, q, qw, q_block, &mut pairs, true);
    let (exact_q, exact_l) = (&exact_q_buf[..q.len()], &exact_l_buf[..l.len()]);
    for i in 0..q.len() {
        q_used[i] = q_block[i] && !exact_q[i];
    }
    for j in 0..l.len() {
        l_used[j] = l_block[j] && !exact_l[j];
    }
    for (s, i, j, kind) in candidates {
        if q_used[i] || l_used[j] {
            continue;
        }
        q_used[i] = true;
        l_used[j] = true;
        pairs.push(Pair {
            query: i,
            listed: j,
            joined: None,
            similarity: s,
            kind,
            weight: (qw[i] + lw[j]) / 2.0,
        });
    }
    let matched: f32 = pairs.iter().map(|p| p.similarity * p.weight).sum();
    let matched_weight: f32 = pairs.iter().map(|p| p.weight).sum();
    // A token repeated on one side ("Sergey Sergey Shoigu") is not evidence against — unless
    // the other side has an unpaired name part it could have stood for.
    let is_name = |t: &Token| matches!(t.role, Role::Name | Role::Syllable);
    let free_q_name = (0..q.len()).any(|i| !q_used[i] && is_name(&q[i]));
    let free_l_name = (0..l.len()).any(|j| !l_used[j] && is_name(&l[j]));
    let unmatched_query: Vec<usize> = (0..q.len())
        .filter(|&i| {
            !q_used[i]
                && (free_l_name || !(0..q.len()).any(|k| k != i && q_used[k] && q[k].text == q[i].text))
        })
        .collect();
    let unmatched_listed: Vec<usize> = (0..l.len())
        .filter(|&j| {
            !l_used[j]
                && (free_q_name || !(0..l.len()).any(|k| k != j && l_used[k] && l[k].text == l[j].text))
        })
        .collect();
    let mut penalty: f32 = unmatched_query.iter().map(|&i| qw[i] * UNMATCHED_QUERY_FACTOR).sum::<f32>()
        + unmatched_listed.iter().map(|&j| lw[j] * UNMATCHED_LISTED_FACTOR).sum::<f32>();
    // An initial that contradicts an unmatched listed given name is evidence against.
    for &i in &unmatched_query {
        if q[i].role == Role::Initial
            && unmatched_listed.iter().any(|&j| matches!(l[j].role, Role::Name | Role::Initial))
        {
            penalty += qw[i].max(0.5);
        }
        // Two different legal forms (AG / GmbH) are different companies more often than not.
        if q[i].role == Role::LegalForm && unmatched_listed.iter().any(|&j| l[j].role == Role::LegalForm) {
            penalty += qw[i];
        }
    }
    // A screened name part with no counterpart while the listed name also has an unpaired one
    // is a substitution (another family or given name), not an omission: it counts more.
    for roles in [&[Role::Name, Role::Syllable][..], &[Role::Patronymic][..]] {
        let q_free = unmatched_query.iter().filter(|&&i| roles.contains(&q[i].role)).map(|&i| qw[i]);
        let l_free = unmatched_listed.iter().filter(|&&j| roles.contains(&l[j].role)).map(|&j| lw[j]);
        for (a, b) in q_free.zip(l_free) {
            penalty += SUBSTITUTION_FACTOR * a.min(b);
        }
    }
    let initials_only = pairs.iter().all(|p| p.kind == TokenMatch::Initial);
    let score =
        if matched_weight > 0.0 && !initials_only { matched / (matched_weight + penalty) } else { 0.0 };
    NameComparison { score, pairs, unmatched_query, unmatched_listed }
}

#[allow(
    clippy::too_many_arguments,
    reason = "tokens, weights and used flags per side, so the second pass can swap the sides"
)]
fn join_pass(
    a: &[Token],
    aw: &[f32],
    a_used: &mut [bool],
    b: &[Token],
    bw: &[f32],
    b_used: &mut [bool],
    pairs: &mut Vec<Pair>,
    a_is_listed: bool,
) {
    for i in 0..a.len() {
        if a_used[i] || a[i].text.len() < 4 {
            continue;
        }
        'runs: for run in 2..=4usize {
            for j in 0..(b.len() + 1).saturating_sub(run) {
                let last = j + run - 1;
                if b_used[j..=last].iter().any(|u| *u) {
                    continue;
                }
                let joined_len: usize = b[j..=last].iter().map(|t| t.text.len()).sum();
                if joined_len.abs_diff(a[i].text.len()) > 1 {
                    continue;
                }
                let joined: String = b[j..=last].iter().map(|t| t.text.as_str()).collect();
                let budget = edit_budget(joined.len().min(a[i].text.len())).min(1.0);
                let Some(d) = weighted_osa(a[i].text.as_bytes(), joined.as_bytes(), budget) else {
                    continue;
                };
                let similarity = (0.97 - d / joined.len() as f32).max(0.0);
                a_used[i] = true;
                b_used[j..=last].iter_mut().for_each(|u| *u = true);
                let heaviest = b[j..=last].iter().zip(&bw[j..=last]).map(|(_, w)| *w).fold(0.0f32, f32::max);
                let weight = (aw[i] + heaviest) / 2.0;
                let (query, listed, joined) =
                    if a_is_listed { (j, i, Some((true, last))) } else { (i, j, Some((false, last))) };
                pairs.push(Pair { query, listed, joined, similarity, kind: TokenMatch::Joined, weight });
                break 'runs;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tokenize;

    fn score(a: &str, b: &str) -> f32 {
        let (q, l) = (tokenize(a), tokenize(b));
        let qw: Vec<f32> = q.iter().map(|t| t.role.weight()).collect();
        let lw: Vec<f32> = l.iter().map(|t| t.role.weight()).collect();
        compare_tokens(&q, &qw, &l, &lw).score
    }

    #[test]
    fn osa_is_bounded_and_confusable_aware() {
        assert_eq!(weighted_osa(b"scholz", b"scholze", 1.0), Some(1.0));
        assert_eq!(weighted_osa(b"abcd", b"bacd", 1.0), Some(1.0));
        assert_eq!(weighted_osa(b"0sama", b"osama", 1.0), Some(0.6));
        assert_eq!(weighted_osa(b"abcdef", b"uvwxyz", 2.0), None);
    }

    #[test]
    fn names_compare_order_free_with_typos_and_joins() {
        assert!(score("SALEK, ABDULHAI", "ABDULHAI SALEK") > 0.99);
        assert!(score("AREFULLAHA REF GHAZI MOHAMMAD", "AREFULLAH AREF GHAZI MOHAMMAD") > 0.85);
        assert!(score("Abdul Rahman Yasin", "Abdulrahman Yasin") > 0.9);
        assert!(score("Barack Obama", "Michelle Obama") < 0.7);
        assert!(score("John Smith", "Maria Garcia") < 0.1);
    }
}
