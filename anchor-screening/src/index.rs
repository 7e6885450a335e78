//! The in-memory screening index: interned tokens with rarity weights, posting lists, a
//! symmetric-deletion index for bounded-edit-distance lookup, spelling families, consonant
//! skeletons, and an exact address map. Built once per set of list versions; read-only after.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::RwLock;

use crate::address::address_key;
use crate::model::{AliasStrength, SanctionsEntity};
use crate::normalize::Role;
use crate::normalize::{is_vowelless, skeleton, tokenize, Token, MAX_FUZZY_TOKEN_BYTES};
use crate::similarity::{edit_budget, token_similarity_within_budget, TokenMatch};

/// A small, fast, deterministic hasher for interned keys (FxHash).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxBuild;

pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl BuildHasher for FxBuild {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// Dictionary tokens related to one query token: `(token id, similarity, how)`.
pub(crate) type Expansions = Vec<(u32, f32, TokenMatch)>;

/// One indexed name of one entity.
#[derive(Debug, Clone)]
pub(crate) struct IndexedName {
    pub(crate) entity: u32,
    /// Position in the entity's `names`.
    pub(crate) name: u32,
    /// Range in `name_tokens`.
    pub(crate) start: u32,
    pub(crate) len: u32,
    pub(crate) weak: bool,
}

/// An index over sanctioned entities for name and address screening.
///
/// Build it with [`ScreeningIndex::build`] from the entities of every list to screen against,
/// then call [`ScreeningIndex::screen`] or [`ScreeningIndex::screen_address`]. The index is
/// immutable: rebuild it when a list changes and swap it in (for example behind an `Arc`).
pub struct ScreeningIndex {
    pub(crate) entities: Vec<SanctionsEntity>,
    pub(crate) names: Vec<IndexedName>,
    pub(crate) name_tokens: Vec<Token>,
    pub(crate) name_token_ids: Vec<u32>,
    pub(crate) token_ids: FxMap<String, u32>,
    pub(crate) tokens: Vec<Token>,
    pub(crate) idf: Vec<f32>,
    pub(crate) df: Vec<u32>,
    pub(crate) postings: Vec<Vec<u32>>,
    pub(crate) families: FxMap<String, Vec<u32>>,
    pub(crate) deletions: Vec<(u64, u32)>,
    /// `deletion_buckets[b]..deletion_buckets[b + 1]` is the range of `deletions` whose hash has
    /// top 16 bits `b` (a radix table in front of the sorted array).
    pub(crate) deletion_buckets: Vec<u32>,
    pub(crate) skeletons: FxMap<String, Vec<u32>>,
    pub(crate) addresses: FxMap<String, Vec<(u32, u32)>>,
    /// Weight given to a query token that no listed name contains.
    pub(crate) unknown_idf: f32,
    /// Document frequency above which a token alone does not create candidates.
    pub(crate) common_df: u32,
    /// Names by their sorted token ids (same normalised tokens, any order): always scored when
    /// a query has exactly these tokens, however common they are.
    pub(crate) exact_names: FxMap<Vec<u32>, Vec<u32>>,
    /// Memoised [`ScreeningIndex::expansions`] per query token; see [`ExpansionCache`].
    pub(crate) expansion_cache: ExpansionCache,
}

/// One memoised query token: its expansions and the rarity (idf) used for its weight.
struct CachedToken {
    text: String,
    key: String,
    role: Role,
    expansions: Expansions,
    idf: f32,
}

const CACHE_SHARDS: usize = 16;
/// Tokens kept per shard at most (16 × 8,192 = 131,072 distinct tokens, a few tens of MB).
const CACHE_SHARD_CAPACITY: usize = 8_192;

/// The expansions of a query token depend only on the token (text, spelling key, role) and on
/// the index, and customer names repeat their tokens, so they are computed once per index and
/// token. Owned by the index (so it dies with it when a list changes, and is shared by every
/// screening thread), sharded to keep lock contention low, bounded: a full shard is emptied
/// before the next insertion. Entries are keyed by a 64-bit hash and verified on lookup.
pub(crate) struct ExpansionCache {
    shards: Vec<RwLock<FxMap<u64, CachedToken>>>,
}

impl Default for ExpansionCache {
    fn default() -> Self {
        Self { shards: (0..CACHE_SHARDS).map(|_| RwLock::new(FxMap::default())).collect() }
    }
}

impl ExpansionCache {
    fn hash(qt: &Token) -> u64 {
        let mut h = FxBuild.build_hasher();
        qt.text.hash(&mut h);
        qt.key.hash(&mut h);
        qt.role.hash(&mut h);
        h.finish()
    }

    fn get(&self, h: u64, qt: &Token) -> Option<(Expansions, f32)> {
        let shard = self.shards[(h >> 60) as usize % CACHE_SHARDS].read().unwrap_or_else(|e| e.into_inner());
        shard
            .get(&h)
            .filter(|c| c.role == qt.role && c.text == qt.text && c.key == qt.key)
            .map(|c| (c.expansions.clone(), c.idf))
    }

    fn insert(&self, h: u64, qt: &Token, expansions: &Expansions, idf: f32) {
        let mut shard =
            self.shards[(h >> 60) as usize % CACHE_SHARDS].write().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= CACHE_SHARD_CAPACITY {
            shard.clear();
        }
        shard.insert(
            h,
            CachedToken {
                text: qt.text.clone(),
                key: qt.key.clone(),
                role: qt.role,
                expansions: expansions.clone(),
                idf,
            },
        );
    }

    /// Number of memoised tokens.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }
}

/// Multiplier of the polynomial hash of the deletion neighbourhood (odd, so invertible mod 2^64).
const POLY: u64 = 0x9e37_79b9_7f4a_7c15;

/// A bijective mix of a polynomial hash and the kept length, so the top 16 bits (the radix
/// bucket) are spread evenly (the splitmix64 finaliser).
fn finish(h: u64, kept: usize) -> u64 {
    let mut z = h ^ (kept as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes of every string obtained by deleting up to `k` (≤ 2) bytes, sorted and deduplicated
/// (the symmetric-deletion neighbourhood, without building the strings). The strings hash
/// polynomially (`Σ byte × POLY^position`), so each deletion's hash comes from prefix hashes in
/// constant time: quadratic in the length, not cubic. Equal strings hash equal, whatever bytes
/// were deleted to reach them; a collision only adds a candidate that the similarity check then
/// refuses. A text longer than [`MAX_FUZZY_TOKEN_BYTES`] gets only its own hash, whatever `k`:
/// such a token is compared exactly.
pub(crate) fn deletion_hashes(text: &str, k: usize, out: &mut Vec<u64>) {
    out.clear();
    let b = text.as_bytes();
    let n = b.len();
    let k = if n > MAX_FUZZY_TOKEN_BYTES { 0 } else { k };
    // prefix[i]: hash of b[..i]; power[i]: POLY^i.
    let mut prefix = [0u64; MAX_FUZZY_TOKEN_BYTES + 2];
    let mut power = [1u64; MAX_FUZZY_TOKEN_BYTES + 2];
    if k == 0 {
        let h = b.iter().fold(0u64, |h, &c| h.wrapping_mul(POLY).wrapping_add(u64::from(c) + 1));
        out.push(finish(h, n));
        return;
    }
    for i in 0..n {
        prefix[i + 1] = prefix[i].wrapping_mul(POLY).wrapping_add(u64::from(b[i]) + 1);
        power[i + 1] = power[i].wrapping_mul(POLY);
    }
    // Hash of b[from..to].
    let range = |from: usize, to: usize| prefix[to].wrapping_sub(prefix[from].wrapping_mul(power[to - from]));
    out.push(finish(prefix[n], n));
    if n > 2 {
        for i in 0..n {
            let h = prefix[i].wrapping_mul(power[n - i - 1]).wrapping_add(range(i + 1, n));
            out.push(finish(h, n - 1));
        }
    }
    if k >= 2 && n > 3 {
        for i in 0..n {
            let head = prefix[i];
            for j in i + 1..n {
                // b[..i] ++ b[i+1..j] ++ b[j+1..]
                let h = head
                    .wrapping_mul(power[n - i - 2])
                    .wrapping_add(range(i + 1, j).wrapping_mul(power[n - j - 1]))
                    .wrapping_add(range(j + 1, n));
                out.push(finish(h, n - 2));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// Deletion-neighbourhood hashes looked up for one screened subject at most, all its tokens
/// together. A token whose neighbourhood no longer fits is looked up exactly (itself, its
/// spelling family, its consonant skeleton). A real name needs far fewer: a 10-byte token has
/// 56, so 25 such tokens (as many as the longest listed name) need 1,400.
pub const MAX_DELETIONS_PER_SUBJECT: usize = 8_192;

/// Hashes in the deletion neighbourhood of a screened token of `len` bytes (before
/// deduplication): what looking it up costs.
fn query_deletions(len: usize, role: Role) -> usize {
    if !(3..=MAX_FUZZY_TOKEN_BYTES).contains(&len) || role == Role::Number {
        return 0;
    }
    let depth = if len == 3 { 0 } else { deletion_depth(len) };
    let mut count = 1;
    if depth >= 1 {
        count += len;
    }
    if depth >= 2 && len > 3 {
        count += len * (len - 1) / 2;
    }
    count
}

/// Deletions to index for a token of `len` bytes: enough to cover its edit budget.
pub(crate) fn deletion_depth(len: usize) -> usize {
    edit_budget(len).ceil() as usize
}

impl ScreeningIndex {
    /// Index the given entities (typically the union of every loaded list).
    pub fn build(entities: impl IntoIterator<Item = SanctionsEntity>) -> Self {
        let entities: Vec<SanctionsEntity> = entities.into_iter().collect();
        let mut names = Vec::new();
        let mut name_tokens = Vec::new();
        let mut name_token_ids = Vec::new();
        let mut token_ids: FxMap<String, u32> = FxMap::default();
        let mut tokens: Vec<Token> = Vec::new();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut addresses: FxMap<String, Vec<(u32, u32)>> = FxMap::default();

        for (e, entity) in entities.iter().enumerate() {
            let mut seen_forms: Vec<Vec<String>> = Vec::new();
            for (n, name) in entity.names.iter().enumerate() {
                let toks = tokenize(&name.full_name);
                if toks.is_empty() {
                    continue;
                }
                // The same normalised form twice (case or punctuation variants) is indexed once.
                let form: Vec<String> = toks.iter().map(|t| t.text.clone()).collect();
                if seen_forms.contains(&form) {
                    continue;
                }
                seen_forms.push(form);
                let name_id = names.len() as u32;
                names.push(IndexedName {
                    entity: e as u32,
                    name: n as u32,
                    start: name_tokens.len() as u32,
                    len: toks.len() as u32,
                    weak: name.strength == AliasStrength::Weak,
                });
                for t in toks {
                    let id = *token_ids.entry(t.text.clone()).or_insert_with(|| {
                        tokens.push(t.clone());
                        postings.push(Vec::new());
                        (tokens.len() - 1) as u32
                    });
                    let p = &mut postings[id as usize];
                    if p.last() != Some(&name_id) {
                        p.push(name_id);
                    }
                    name_token_ids.push(id);
                    name_tokens.push(t);
                }
            }
            for (c, crypto) in entity.crypto_addresses.iter().enumerate() {
                addresses.entry(address_key(&crypto.address)).or_default().push((e as u32, c as u32));
            }
        }

        let n_names = names.len().max(1) as f32;
        let df: Vec<u32> = postings.iter().map(|p| p.len() as u32).collect();
        let idf: Vec<f32> = df.iter().map(|&d| ((n_names + 1.0) / (d as f32 + 1.0)).ln() + 1.0).collect();
        let name_idf: Vec<f32> = tokens
            .iter()
            .zip(&idf)
            .filter(|(t, _)| t.role == crate::normalize::Role::Name)
            .map(|(_, i)| *i)
            .collect();
        let unknown_idf =
            if name_idf.is_empty() { 1.0 } else { name_idf.iter().sum::<f32>() / name_idf.len() as f32 };

        let mut families: FxMap<String, Vec<u32>> = FxMap::default();
        let mut skeletons: FxMap<String, Vec<u32>> = FxMap::default();
        let mut dels: Vec<(u64, u32)> = Vec::new();
        let mut buf = Vec::new();
        for (id, t) in tokens.iter().enumerate() {
            families.entry(t.key.clone()).or_default().push(id as u32);
            // Tokens longer than the fuzzy bound are only ever compared exactly.
            let fuzzy = t.text.len() <= MAX_FUZZY_TOKEN_BYTES;
            if fuzzy && t.text.len() >= 3 && t.text.bytes().all(|b| b.is_ascii_alphabetic()) {
                skeletons.entry(skeleton(&t.text)).or_default().push(id as u32);
            }
            if fuzzy && t.text.len() >= 4 {
                deletion_hashes(&t.text, deletion_depth(t.text.len()), &mut buf);
                dels.extend(buf.iter().map(|&h| (h, id as u32)));
            }
        }
        families.retain(|_, v| v.len() > 1);
        dels.sort_unstable();
        dels.shrink_to_fit();
        let mut deletion_buckets = vec![0u32; (1 << 16) + 1];
        for &(h, _) in &dels {
            deletion_buckets[(h >> 48) as usize + 1] += 1;
        }
        for b in 1..deletion_buckets.len() {
            deletion_buckets[b] += deletion_buckets[b - 1];
        }
        let common_df = ((names.len() / 100) as u32).max(200);
        let mut exact_names: FxMap<Vec<u32>, Vec<u32>> = FxMap::default();
        for (name_id, name) in names.iter().enumerate() {
            let range = name.start as usize..(name.start + name.len) as usize;
            let mut key = name_token_ids[range].to_vec();
            key.sort_unstable();
            exact_names.entry(key).or_default().push(name_id as u32);
        }
        Self {
            entities,
            names,
            name_tokens,
            name_token_ids,
            token_ids,
            tokens,
            idf,
            df,
            postings,
            families,
            deletions: dels,
            deletion_buckets,
            skeletons,
            addresses,
            unknown_idf,
            common_df,
            exact_names,
            expansion_cache: ExpansionCache::default(),
        }
    }

    /// The indexed entities, in the order given to [`ScreeningIndex::build`].
    pub fn entities(&self) -> &[SanctionsEntity] {
        &self.entities
    }

    /// Number of indexed names (each entity has one or more).
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn token_weight(&self, id: u32) -> f32 {
        let id = id as usize;
        self.idf[id] * self.tokens[id].role.weight()
    }

    /// Dictionary tokens related to a query token, with the similarity of each. A token longer
    /// than [`MAX_FUZZY_TOKEN_BYTES`] is looked up exactly (itself and its spelling family);
    /// without `neighbourhood`, its deletion neighbourhood is not looked up.
    pub(crate) fn expansions(
        &self,
        qt: &Token,
        out: &mut Vec<(u32, f32, TokenMatch)>,
        buf: &mut Vec<u64>,
        neighbourhood: bool,
    ) {
        out.clear();
        if let Some(&id) = self.token_ids.get(&qt.text) {
            out.push((id, 1.0, TokenMatch::Exact));
        }
        if let Some(members) = self.families.get(&qt.key) {
            for &m in members {
                if !out.iter().any(|(id, _, _)| *id == m) {
                    out.push((m, 0.95, TokenMatch::SpellingFamily));
                }
            }
        }
        let len = qt.text.len();
        if len > MAX_FUZZY_TOKEN_BYTES {
            return;
        }
        if neighbourhood && len >= 3 && qt.role != Role::Number {
            let depth = if len == 3 { 0 } else { deletion_depth(len) };
            deletion_hashes(&qt.text, depth, buf);
            for &h in buf.iter() {
                let bucket = (h >> 48) as usize;
                let range =
                    self.deletion_buckets[bucket] as usize..self.deletion_buckets[bucket + 1] as usize;
                let slice = &self.deletions[range];
                let start = slice.partition_point(|(k, _)| *k < h);
                for &(k, id) in &slice[start..] {
                    if k != h {
                        break;
                    }
                    if out.iter().any(|(o, _, _)| *o == id) {
                        continue;
                    }
                    if let Some((s, kind)) = token_similarity_within_budget(qt, &self.tokens[id as usize]) {
                        out.push((id, s, kind));
                    }
                }
            }
        }
        if len >= 3 {
            let vowelless = is_vowelless(&qt.text);
            if let Some(members) = self.skeletons.get(&skeleton(&qt.text)) {
                for &m in members {
                    let t = &self.tokens[m as usize];
                    if (vowelless || is_vowelless(&t.text)) && !out.iter().any(|(o, _, _)| *o == m) {
                        if let Some((s, kind)) = token_similarity_within_budget(qt, t) {
                            out.push((m, s, kind));
                        }
                    }
                }
            }
        }
    }

    /// Expansions of every query token plus the query-token weights (rarity of the token, or of
    /// its closest listed spelling, or the mean rarity when nothing is close; × role).
    /// `deletions` is what is left of the subject's [`MAX_DELETIONS_PER_SUBJECT`]: a token
    /// already memoised costs nothing, a new one its neighbourhood, and once the budget is spent
    /// new tokens are looked up without it (and not memoised, so a later screening with budget
    /// left gets the full expansions).
    pub(crate) fn analyse(&self, query: &[Token], deletions: &mut usize) -> (Vec<Expansions>, Vec<f32>) {
        let mut buf = Vec::new();
        let mut expansions = Vec::with_capacity(query.len());
        let mut weights = Vec::with_capacity(query.len());
        for qt in query {
            let h = ExpansionCache::hash(qt);
            let (ex, idf) = match self.expansion_cache.get(h, qt) {
                Some(cached) => cached,
                None => {
                    let cost = query_deletions(qt.text.len(), qt.role);
                    let neighbourhood = cost <= *deletions;
                    if neighbourhood {
                        *deletions -= cost;
                    }
                    let mut ex = Vec::new();
                    self.expansions(qt, &mut ex, &mut buf, neighbourhood);
                    let idf = ex
                        .iter()
                        .max_by(|a, b| a.1.total_cmp(&b.1))
                        .map_or(self.unknown_idf, |&(id, _, _)| self.idf[id as usize]);
                    if neighbourhood {
                        self.expansion_cache.insert(h, qt, &ex, idf);
                    }
                    (ex, idf)
                }
            };
            weights.push(idf * qt.role.weight());
            expansions.push(ex);
        }
        (expansions, weights)
    }

    /// Names made of exactly the query's tokens (normalised, in any order), when every query
    /// token is a listed token.
    pub(crate) fn exact_candidates(&self, expansions: &[Expansions]) -> &[u32] {
        let mut key = Vec::with_capacity(expansions.len());
        for ex in expansions {
            match ex.first() {
                Some(&(id, _, TokenMatch::Exact)) => key.push(id),
                _ => return &[],
            }
        }
        key.sort_unstable();
        self.exact_names.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Candidate names for an analysed query: `(name id, accumulated weight)`, heaviest first.
    /// Names made of exactly the query's tokens come first and are always included (beyond
    /// `max` if need be): a short listed name of common tokens must not lose its place to longer
    /// names that contain the same tokens.
    pub(crate) fn candidates(
        &self,
        expansions: &[Expansions],
        weights: &[f32],
        max: usize,
        min_fraction: f32,
    ) -> Vec<(u32, f32)> {
        let total: f32 = expansions
            .iter()
            .zip(weights)
            .map(|(ex, w)| {
                ex.iter().map(|&(id, s, _)| s * self.token_weight(id)).fold(0.0f32, f32::max).max(*w)
            })
            .sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let any_rare = expansions.iter().flatten().any(|&(id, _, _)| self.df[id as usize] <= self.common_df);
        // name id → (mass, last query token, that token's contribution)
        let mut acc: FxMap<u32, (f32, u32, f32)> = FxMap::with_capacity_and_hasher(256, FxBuild);
        let add = |acc: &mut FxMap<u32, (f32, u32, f32)>, name: u32, qi: u32, c: f32, create: bool| {
            let entry = match acc.get_mut(&name) {
                Some(e) => e,
                None if create => acc.entry(name).or_insert((0.0, u32::MAX, 0.0)),
                None => return,
            };
            if entry.1 == qi {
                if c > entry.2 {
                    entry.0 += c - entry.2;
                    entry.2 = c;
                }
            } else {
                entry.0 += c;
                entry.1 = qi;
                entry.2 = c;
            }
        };
        // Rare tokens create candidates; common ones (particles, "company", "mohammad") only add
        // to candidates found otherwise, unless the query has nothing rarer.
        for pass_common in [false, true] {
            for (qi, ex) in expansions.iter().enumerate() {
                for &(id, s, _) in ex {
                    let common = any_rare && self.df[id as usize] > self.common_df;
                    if common != pass_common {
                        continue;
                    }
                    let c = s * self.token_weight(id);
                    let postings = &self.postings[id as usize];
                    if common && postings.len() > acc.len() * 8 {
                        // Long posting list, few candidates: probe the (sorted) postings instead.
                        let names: Vec<u32> =
                            acc.keys().copied().filter(|n| postings.binary_search(n).is_ok()).collect();
                        for name in names {
                            add(&mut acc, name, qi as u32, c, false);
                        }
                    } else {
                        for &name in postings {
                            add(&mut acc, name, qi as u32, c, !common);
                        }
                    }
                }
            }
        }
        let floor = total * min_fraction;
        let mut out: Vec<(u32, f32)> =
            acc.into_iter().filter(|(_, v)| v.0 >= floor).map(|(k, v)| (k, v.0)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(max);
        let exact = self.exact_candidates(expansions);
        if exact.iter().any(|id| !out.iter().any(|(o, _)| o == id)) {
            let mut first: Vec<(u32, f32)> = exact.iter().map(|&id| (id, total)).collect();
            out.retain(|(id, _)| !exact.contains(id));
            first.append(&mut out);
            out = first;
        }
        out
    }

    pub(crate) fn name_tokens_of(&self, name: &IndexedName) -> (&[Token], &[u32]) {
        let range = name.start as usize..(name.start + name.len) as usize;
        (&self.name_tokens[range.clone()], &self.name_token_ids[range])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::{deletion_hashes, query_deletions, ScreeningIndex, MAX_DELETIONS_PER_SUBJECT};
    use crate::model::{EntityKind, SanctionsEntity, SourceList};
    use crate::normalize::{Role, Token, MAX_FUZZY_TOKEN_BYTES};
    use crate::screen::{ScreeningConfig, ScreeningSubject};

    /// A word of letters only, distinct for every `n`.
    fn word(mut n: usize) -> String {
        let mut w = String::from("Q");
        for _ in 0..4 {
            w.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
        }
        w
    }

    #[test]
    fn an_exact_name_of_common_tokens_is_always_a_candidate() {
        // 300 longer names carry all the tokens of the short one, so every token is common and
        // every longer name accumulates as much weight as the exact one; the exact name comes
        // last (highest name id), beyond `max_candidates`.
        let mut entities: Vec<SanctionsEntity> = (0..300)
            .map(|i| {
                SanctionsEntity::new(
                    SourceList::UkSanctionsList,
                    format!("F{i}"),
                    EntityKind::Person,
                    format!("Al-Hassan Ibrahim {}", word(i)),
                )
            })
            .collect();
        entities.push(SanctionsEntity::new(
            SourceList::UkSanctionsList,
            "SYR0094",
            EntityKind::Person,
            "Al-Hassan Ibrahim",
        ));
        let index = ScreeningIndex::build(entities);
        assert!(index.df.iter().all(|&df| df > index.common_df || df == 1), "only common or unique tokens");
        let config = ScreeningConfig::default();
        for query in ["Al-Hassan Ibrahim", "AL HASSAN IBRAHIM", "Ibrahim Al-Hassan"] {
            for round in 0..2 {
                let hits = index.screen(&ScreeningSubject::person(query), &config);
                let top = hits.first().unwrap_or_else(|| panic!("{query}: no hit (round {round})"));
                assert_eq!(top.source_id, "SYR0094", "{query} (round {round})");
                assert!(top.score >= 0.99, "{query}: {}", top.score);
            }
        }
        assert!(index.expansion_cache.len() >= 3, "expansions are memoised");
    }

    #[test]
    fn deletion_neighbourhoods_meet() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        deletion_hashes("scholz", 1, &mut a);
        deletion_hashes("schulz", 1, &mut b);
        assert!(a.iter().any(|h| b.contains(h)), "one substitution apart");
        deletion_hashes("abcd", 1, &mut a);
        deletion_hashes("bcd", 0, &mut b);
        assert!(a.contains(&b[0]), "a deletion equals the shorter token");
        deletion_hashes("abcd", 1, &mut a);
        assert_eq!(a.len(), 5);
    }

    #[test]
    fn a_subjects_neighbourhood_lookups_are_budgeted_and_only_full_expansions_memoised() {
        let index = ScreeningIndex::build([SanctionsEntity::new(
            SourceList::UkSanctionsList,
            "S1",
            EntityKind::Person,
            "Olaf Scholz",
        )]);
        let token = |text: &str| Token { text: text.into(), key: text.into(), role: Role::Name };
        let mut out = Vec::new();
        deletion_hashes("schulz", 2, &mut out);
        assert!(query_deletions(6, Role::Name) >= out.len());
        assert_eq!(query_deletions(64, Role::Name), 0, "beyond the bound: exact");
        assert_eq!(query_deletions(9, Role::Number), 0);
        // No budget left: "schulz" is looked up exactly (no hit), and not memoised.
        let mut spent = 0;
        let (ex, _) = index.analyse(&[token("schulz")], &mut spent);
        assert!(ex[0].is_empty());
        assert_eq!(index.expansion_cache.len(), 0);
        // With budget: its neighbourhood finds "scholz", at its cost, memoised.
        let mut budget = MAX_DELETIONS_PER_SUBJECT;
        let (ex, _) = index.analyse(&[token("schulz")], &mut budget);
        assert!(!ex[0].is_empty());
        assert_eq!(budget, MAX_DELETIONS_PER_SUBJECT - query_deletions(6, Role::Name));
        assert_eq!(index.expansion_cache.len(), 1);
        // Memoised tokens cost nothing, even with no budget left.
        let (ex, _) = index.analyse(&[token("schulz")], &mut spent);
        assert!(!ex[0].is_empty());
    }

    #[test]
    fn deletion_hashes_are_the_hashes_of_the_deleted_strings() {
        let own = |text: &str| {
            let mut out = Vec::new();
            deletion_hashes(text, 0, &mut out);
            out[0]
        };
        for text in ["scholz", "abcd", "mohammed", "aaaaaaaa", "shchukin", &"xy".repeat(31)] {
            let bytes = text.as_bytes();
            let mut expected = vec![own(text)];
            for i in 0..bytes.len() {
                let one: Vec<u8> =
                    bytes.iter().enumerate().filter(|(p, _)| *p != i).map(|(_, b)| *b).collect();
                expected.push(own(std::str::from_utf8(&one).unwrap()));
                for j in i + 1..bytes.len() {
                    let two: Vec<u8> = bytes
                        .iter()
                        .enumerate()
                        .filter(|(p, _)| *p != i && *p != j)
                        .map(|(_, b)| *b)
                        .collect();
                    expected.push(own(std::str::from_utf8(&two).unwrap()));
                }
            }
            expected.sort_unstable();
            expected.dedup();
            let mut out = Vec::new();
            deletion_hashes(text, 2, &mut out);
            assert_eq!(out, expected, "{text}");
        }
        assert_ne!(own("ab"), own("ba"));
        assert_ne!(own("a"), own("aa"));
    }

    #[test]
    fn a_token_beyond_the_fuzzy_bound_is_never_expanded() {
        let mut out = Vec::new();
        let at_bound = "ab".repeat(MAX_FUZZY_TOKEN_BYTES / 2) + "c";
        assert_eq!(at_bound.len(), MAX_FUZZY_TOKEN_BYTES);
        deletion_hashes(&at_bound, 2, &mut out);
        assert!(out.len() > 1, "a token at the bound has its neighbourhood");
        for len in [MAX_FUZZY_TOKEN_BYTES + 1, 8_000, 200_000] {
            deletion_hashes(&"shch".repeat(len / 4 + 1), 2, &mut out);
            assert_eq!(out.len(), 1, "{len} bytes: only its own hash");
        }

        // Listed: a long token and a near spelling of it; screened: the long token exactly, and
        // one letter off (no fuzzy match beyond the bound).
        let long = "shch".repeat(20);
        let near = format!("{}x", &long[..long.len() - 1]);
        let index = ScreeningIndex::build([
            SanctionsEntity::new(
                SourceList::UkSanctionsList,
                "L1",
                EntityKind::Person,
                format!("{long} Ivanov"),
            ),
            SanctionsEntity::new(SourceList::UkSanctionsList, "S1", EntityKind::Person, "Scholz Merkel"),
        ]);
        let (mut ex, mut buf) = (Vec::new(), Vec::new());
        let token = |text: &str| Token { text: text.into(), key: text.into(), role: Role::Name };
        index.expansions(&token(&long), &mut ex, &mut buf, true);
        assert_eq!(ex.len(), 1, "exactly itself");
        index.expansions(&token(&near), &mut ex, &mut buf, true);
        assert!(ex.is_empty(), "no neighbourhood beyond the bound");
        index.expansions(&token("schulz"), &mut ex, &mut buf, true);
        assert!(!ex.is_empty(), "short tokens still match fuzzily");
        index.expansions(&token("schulz"), &mut ex, &mut buf, false);
        assert!(ex.is_empty(), "without the neighbourhood, only exact lookups");
        let config = ScreeningConfig::default();
        let hits = index.screen(&ScreeningSubject::person(format!("{long} Ivanov")), &config);
        assert_eq!(hits.first().map(|h| h.source_id.as_str()), Some("L1"));
    }
}
