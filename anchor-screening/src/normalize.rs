//! Name normalisation, applied identically to list names and to screened names.
//!
//! Unicode clean-up (invisible characters removed, every kind of space a separator), Cyrillic and
//! Greek look-alike letters folded to Latin inside mixed-script words, diacritics removed and
//! non-Latin scripts transliterated to ASCII (the original text stays in the entity), tokens
//! split on punctuation and spaces, and each token tagged with a role (name, particle, title,
//! legal form, initial, number) and a spelling-family key (Mohammed/Muhammad → one key).
//! Titles, particles and legal forms are kept as low-weight tokens, never deleted.

/// What a token is, which decides its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Name,
    Particle,
    Title,
    LegalForm,
    Initial,
    Number,
    /// Patronymics and similar father-name forms (Vladimirovich, Ivanovna, oglu): often
    /// present on one side only.
    Patronymic,
    /// A syllable of a Chinese, Japanese or Korean name: the romanisation of one script is
    /// deterministic, so two such syllables match only when equal.
    Syllable,
}

impl Role {
    pub(crate) fn weight(self) -> f32 {
        match self {
            Role::Name => 1.0,
            Role::Patronymic => 0.5,
            Role::Syllable => 1.0,
            Role::Number => 1.2,
            Role::Initial => 0.4,
            Role::LegalForm => 0.3,
            Role::Particle => 0.3,
            Role::Title => 0.2,
        }
    }
}

/// One normalised token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Lower-case ASCII letters and digits.
    pub(crate) text: String,
    /// Spelling-family key (the family's canonical form, or `text`).
    pub(crate) key: String,
    pub(crate) role: Role,
}

/// Cyrillic and Greek letters that look like Latin ones.
fn confusable_to_latin(c: char) -> Option<char> {
    Some(match c {
        'а' => 'a',
        'в' => 'b',
        'е' => 'e',
        'ё' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ї' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' => 'Y',
        'Х' => 'X',
        'І' => 'I',
        'Ј' => 'J',
        'Ѕ' => 'S',
        'α' => 'a',
        'ο' => 'o',
        'ρ' => 'p',
        'ν' => 'v',
        'τ' => 't',
        'κ' => 'k',
        'ι' => 'i',
        'υ' => 'u',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        _ => return None,
    })
}

fn is_cyrillic_or_greek(c: char) -> bool {
    matches!(c as u32, 0x0370..=0x052F)
}

/// Scripts written without spaces between syllables (or whose syllables are name parts):
/// each character becomes its own token after transliteration.
fn is_syllabic(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '`' | '´' | '‘' | '’' | 'ʼ' | 'ʻ' | 'ʾ' | 'ʿ')
}

/// Lower-case ASCII form of a name with separators as single spaces.
pub(crate) fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let push_sep = |out: &mut String| {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    };
    for word in name.split(char::is_whitespace) {
        let mixed = word.chars().any(|c| c.is_ascii_alphabetic()) && word.chars().any(is_cyrillic_or_greek);
        for c in word.chars() {
            let c = if mixed { confusable_to_latin(c).unwrap_or(c) } else { c };
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if c.is_ascii() || is_apostrophe(c) {
                if !is_apostrophe(c) {
                    push_sep(&mut out);
                }
            } else if c.is_whitespace() {
                push_sep(&mut out);
            } else {
                let ascii = any_ascii::any_ascii_char(c);
                let syllabic = is_syllabic(c);
                if syllabic {
                    push_sep(&mut out);
                }
                for t in ascii.chars() {
                    if t.is_ascii_alphanumeric() {
                        out.push(t.to_ascii_lowercase());
                    } else if !is_apostrophe(t) {
                        push_sep(&mut out);
                    }
                }
                if syllabic {
                    push_sep(&mut out);
                }
            }
        }
        push_sep(&mut out);
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

const PARTICLES: &[&str] = &[
    "al", "el", "ul", "bin", "ibn", "bint", "binti", "ben", "abu", "abou", "ab", "ait", "van", "von", "der",
    "den", "de", "da", "di", "do", "dos", "das", "del", "della", "la", "le", "les", "du", "y", "e", "of",
    "the", "and", "und", "et", "mac", "st", "ter", "ten", "zu",
];

const TITLES: &[&str] = &[
    "prasident",
    "praesident",
    "presidente",
    "president",
    "premier",
    "senator",
    "chairman",
    "herr",
    "frau",
    "monsieur",
    "madame",
    "mme",
    "don",
    "dona",
    "senor",
    "senora",
    "gospodin",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "sir",
    "dame",
    "lord",
    "lady",
    "sheikh",
    "shaikh",
    "shaykh",
    "sheik",
    "haji",
    "hajji",
    "hadji",
    "mullah",
    "mulla",
    "maulana",
    "mawlawi",
    "maulvi",
    "qari",
    "imam",
    "gen",
    "general",
    "col",
    "colonel",
    "maj",
    "major",
    "capt",
    "captain",
    "lt",
    "brig",
    "admiral",
    "president",
    "minister",
    "emir",
    "prince",
    "princess",
    "king",
    "queen",
    "sultan",
    "jr",
    "sr",
    "hon",
    "rev",
    "eng",
    "engineer",
];

/// Legal-form tokens and their canonical form.
const LEGAL_FORMS: &[(&str, &str)] = &[
    ("llc", "co"),
    ("ooo", "co"),
    ("tov", "co"),
    ("too", "co"),
    ("ltd", "co"),
    ("limited", "co"),
    ("ltda", "co"),
    ("inc", "co"),
    ("incorporated", "co"),
    ("corp", "co"),
    ("corporation", "co"),
    ("co", "co"),
    ("company", "co"),
    ("jsc", "jsc"),
    ("ao", "jsc"),
    ("ojsc", "jsc"),
    ("oao", "jsc"),
    ("pjsc", "jsc"),
    ("pao", "jsc"),
    ("cjsc", "jsc"),
    ("zao", "jsc"),
    ("plc", "co"),
    ("gmbh", "gmbh"),
    ("ag", "ag"),
    ("aktiengesellschaft", "ag"),
    ("sa", "sa"),
    ("sas", "sas"),
    ("sarl", "sarl"),
    ("spa", "spa"),
    ("srl", "srl"),
    ("bv", "bv"),
    ("nv", "nv"),
    ("ab", "ab"),
    ("as", "as"),
    ("oy", "oy"),
    ("kg", "kg"),
    ("llp", "llp"),
    ("lp", "lp"),
    ("pte", "pte"),
    ("pvt", "pvt"),
    ("bhd", "bhd"),
    ("sdn", "sdn"),
    ("fze", "fze"),
    ("fzco", "fzco"),
    ("fzc", "fzc"),
    ("fzllc", "fzllc"),
    ("dmcc", "dmcc"),
    ("doo", "doo"),
    ("spzoo", "spzoo"),
    ("kft", "kft"),
    ("sro", "sro"),
    ("gie", "gie"),
    ("cv", "cv"),
    ("eood", "eood"),
    ("ood", "ood"),
    ("tic", "tic"),
    ("group", "group"),
    ("holding", "holding"),
    ("holdings", "holding"),
    ("trading", "trading"),
    ("enterprise", "enterprise"),
    ("enterprises", "enterprise"),
    ("establishment", "establishment"),
    ("est", "establishment"),
];

/// Multi-word legal forms replaced by one canonical token before role tagging.
const LEGAL_PHRASES: &[(&[&str], &str)] = &[
    (&["limited", "liability", "company"], "llc"),
    (&["limited", "liability", "partnership"], "llp"),
    (&["public", "joint", "stock", "company"], "pjsc"),
    (&["open", "joint", "stock", "company"], "ojsc"),
    (&["closed", "joint", "stock", "company"], "cjsc"),
    (&["joint", "stock", "company"], "jsc"),
    (&["public", "limited", "company"], "plc"),
    (&["private", "limited", "company"], "ltd"),
    (&["obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"], "llc"),
    (&["obshchestvo", "s", "ogranichennoi", "otvetstvennostiu"], "llc"),
    (&["obshchestvo", "s", "ogranichennoj", "otvetstvennostju"], "llc"),
    (&["aktsionernoe", "obshchestvo"], "jsc"),
    (&["aktsionernoye", "obshchestvo"], "jsc"),
    (&["publichnoe", "aktsionernoe", "obshchestvo"], "pjsc"),
    (&["gesellschaft", "mit", "beschrankter", "haftung"], "gmbh"),
    (&["sp", "z", "o", "o"], "spzoo"),
    (&["s", "a", "r", "l"], "sarl"),
    (&["s", "p", "a"], "spa"),
    (&["s", "r", "l"], "srl"),
    (&["l", "l", "c"], "llc"),
    (&["o", "o", "o"], "llc"),
    (&["o", "a", "o"], "ojsc"),
    (&["z", "a", "o"], "cjsc"),
    (&["p", "a", "o"], "pjsc"),
    (&["p", "l", "c"], "plc"),
    (&["s", "a"], "sa"),
    (&["b", "v"], "bv"),
    (&["n", "v"], "nv"),
    (&["d", "o", "o"], "doo"),
    (&["s", "r", "o"], "sro"),
];

/// Transliteration families: every spelling maps to the first one.
const FAMILIES: &[&[&str]] = &[
    // Common nicknames and short forms (first entry = the key of the spelling family below).
    &["william", "bill", "billy", "will", "willy", "wilhelm", "guillermo", "guillaume"],
    &["robert", "bob", "bobby", "rob", "robbie"],
    &["james", "jim", "jimmy", "jamie"],
    &["michael", "mike", "mick", "micky"],
    &["richard", "rick", "dick", "ricky", "rich"],
    &["anthony", "tony", "antony"],
    &["theodore", "ted", "teddy", "theo"],
    &["benjamin", "benny", "bibi"],
    &["elizabeth", "liz", "beth", "betty", "eliza"],
    &["margaret", "peggy", "maggie", "meg"],
    &["katherine", "catherine", "kate", "katie", "cathy", "kathy", "ekaterina", "yekaterina"],
    &["joseph", "joe", "joey", "iosif", "josef"],
    &["thomas", "tom", "tommy"],
    &["charles", "charlie", "chuck"],
    &["aleksandr", "alex", "sasha", "sacha"],
    &["vladimir", "vova", "volodya"],
    &["dmitry", "dima"],
    &["mikhail", "misha"],
    &["nikolay", "kolya"],
    &["barack", "barry"],
    &[
        "muhammad",
        "mohammed",
        "mohammad",
        "muhammed",
        "mohamed",
        "mohamad",
        "muhamad",
        "muhamed",
        "mohamud",
        "mohd",
        "mehmet",
        "mahomed",
        "mukhammad",
        "mukhammed",
        "magomed",
        "mouhamed",
        "mohammedi",
        "mhmd",
    ],
    &["ahmad", "ahmed", "ahmet", "akhmad", "akhmed", "achmed", "ahmd"],
    &["yusuf", "yousef", "youssef", "yousuf", "yusef", "yosef", "youcef", "yussuf", "jusuf"],
    &[
        "husayn", "hussein", "hussain", "husein", "husain", "hosein", "hossein", "houssein", "hussayn",
        "huseyin", "gusein",
    ],
    &["hasan", "hassan", "hassen", "hasen", "gasan"],
    &["abd", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdu", "abdou"],
    &["abdullah", "abdallah", "abdulla", "abdula", "abdellah", "abdollah", "abdulah"],
    &[
        "abdulrahman",
        "abdurrahman",
        "abdelrahman",
        "abdalrahman",
        "abdurahman",
        "abderrahmane",
        "abdulrehman",
    ],
    &["usama", "osama", "usamah", "ousama"],
    &["umar", "omar", "omer", "oumar"],
    &["uthman", "othman", "osman", "usman", "othmane", "osmane"],
    &["khalid", "khaled", "halid", "khaleed"],
    &["said", "saeed", "saed", "saeid", "sayed", "sayyid", "saiyid", "syed"],
    &["mahmud", "mahmoud", "mahmood", "makhmud"],
    &["mustafa", "mostafa", "moustafa", "mustapha", "mostapha"],
    &["ibrahim", "ebrahim", "ibragim", "brahim"],
    &["ismail", "ismael", "esmail", "ismoil", "smail"],
    &["jafar", "jaafar", "jaffar", "djafar", "dzhafar"],
    &["qasim", "qassem", "kasim", "kassem", "gasim", "qasem", "kasem", "kacem"],
    &["rashid", "rasheed", "rachid", "rashed"],
    &["nasir", "nasser", "naser", "nassir", "nasr"],
    &["yahya", "yahia", "yehia", "yahyah"],
    &["zakariya", "zakaria", "zakariyya", "zakarya", "zakariah"],
    &["jamal", "gamal", "djamel", "jamel"],
    &["hamid", "hamed", "hameed"],
    &["abu", "abou", "abo"],
    &["muhsin", "mohsen", "mohsin", "muhsen"],
    &["ali", "aly"],
    &["qadhafi", "gaddafi", "qaddafi", "kadhafi", "gadhafi", "kaddafi", "qathafi", "gathafi"],
    &["sergey", "sergei", "serguei", "sergej", "sergejs", "sergii", "serhii", "serhiy", "sergiy"],
    &[
        "aleksandr",
        "alexander",
        "aleksander",
        "alexandr",
        "oleksandr",
        "aleksandar",
        "alexandre",
        "alessandro",
        "alejandro",
    ],
    &["dmitry", "dmitri", "dmitriy", "dmitrii", "dmytro", "dimitri", "dimitry"],
    &["yuri", "yury", "yuriy", "yurii", "iurii", "iouri", "jurij", "juri"],
    &["andrey", "andrei", "andriy", "andrii", "andrej"],
    &["aleksey", "alexey", "aleksei", "alexei", "oleksiy", "oleksii", "aleksej"],
    &["evgeny", "yevgeny", "evgeniy", "yevgeniy", "evgenii", "yevhen", "evgenij", "eugene"],
    &["vladimir", "volodymyr", "wladimir"],
    &["nikolay", "nikolai", "mykola", "nicolai", "nikolaj"],
    &["mikhail", "mykhailo", "michail", "mikhael"],
    &["viktor", "victor", "wiktor"],
    &["arkady", "arkadiy", "arkadii", "arkadij"],
    &["vyacheslav", "viacheslav", "vjaceslav"],
    &["anatoly", "anatoliy", "anatolii", "anatolij"],
    &["grigory", "grigoriy", "grigorii", "hryhoriy"],
    &["yevgenyevich", "evgenyevich", "evgenievich", "yevgenievich"],
    &["olga", "olha"],
    &["tatiana", "tatyana", "tetiana", "tatjana"],
    &["natalia", "natalya", "nataliya"],
    &["yulia", "yuliya", "julia", "iuliia"],
    &["kim", "gim"],
    &["ri", "lee", "yi", "rhee", "li"],
    &["choe", "choi", "chwe"],
    &["pak", "park", "bak"],
    &["jong", "jeong", "chong", "chung"],
    &["kwang", "gwang"],
    &["chol", "cheol", "chul"],
    &["il", "ill"],
    &["sung", "seong", "song"],
];

fn family_key(token: &str) -> Option<&'static str> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for family in FAMILIES {
            for spelling in family.iter() {
                map.entry(*spelling).or_insert(family[0]);
            }
        }
        map
    })
    .get(token)
    .copied()
}

/// Number words and ordinals → digits, so "First"/"1st"/"1" and "Forty-Four"/"44" compare equal.
fn number_key(token: &str) -> Option<u32> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const ORDINALS: [&str; 13] = [
        "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth", "eleventh", "twelfth",
    ];
    const TENS: [&str; 10] =
        ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    if let Some(i) = UNITS.iter().position(|u| *u == token) {
        return Some(i as u32);
    }
    if let Some(i) = ORDINALS.iter().position(|u| *u == token) {
        return Some(i as u32);
    }
    if let Some(i) = TENS.iter().position(|u| !u.is_empty() && *u == token) {
        return Some(i as u32 * 10);
    }
    let digits = token.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &token[digits.len()..];
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && matches!(suffix, "st" | "nd" | "rd" | "th")
    {
        return digits.parse().ok();
    }
    None
}

/// Long legal-form words recognised with a typo or truncated ("Aktiengeselschaft", "COMPAN").
const LONG_LEGAL_FORMS: &[(&str, &str)] = &[
    ("aktiengesellschaft", "ag"),
    ("corporation", "co"),
    ("incorporated", "co"),
    ("company", "co"),
    ("limited", "co"),
    ("gesellschaft", "gmbh"),
];

fn legal_form(token: &str) -> Option<&'static str> {
    if let Some(found) = LEGAL_FORMS.iter().find(|(t, _)| *t == token).map(|(_, canonical)| *canonical) {
        return Some(found);
    }
    if token.len() < 5 {
        return None;
    }
    LONG_LEGAL_FORMS.iter().find_map(|(form, canonical)| {
        let truncated = form.len() > token.len() && form.starts_with(token) && token.len() + 2 >= form.len();
        let typo = token.len() >= 7
            && crate::similarity::weighted_osa(token.as_bytes(), form.as_bytes(), 1.0).is_some();
        (truncated || typo).then_some(*canonical)
    })
}

fn exact_legal_form(token: &str) -> Option<&'static str> {
    LEGAL_FORMS.iter().find(|(t, _)| *t == token).map(|(_, canonical)| *canonical)
}

/// Bytes of a screened name read at most (after the cap at the edge, a guard for any caller):
/// the name is cut at the last separator before this many bytes.
pub const MAX_NAME_BYTES: usize = 4096;

/// Normalised tokens of one screened name kept at most; the rest is not screened.
/// Listed names are at most a few dozen tokens and the token pairing reads 48 at most.
pub const MAX_TOKENS_PER_NAME: usize = 32;

/// Normalised tokens screened per subject at most, all names together: names after the budget
/// is spent are not screened.
pub const MAX_TOKENS_PER_SUBJECT: usize = 64;

/// Longest token (bytes after folding and transliteration) compared by edit distance; a longer
/// token is compared exactly (itself, or its spelling family), never expanded into deletion
/// neighbourhoods, whose size grows with the square of the length. The edit distance itself
/// never reached beyond this length, so recall is unchanged.
pub const MAX_FUZZY_TOKEN_BYTES: usize = 63;

/// `name` cut to at most [`MAX_NAME_BYTES`] bytes at the last whitespace (or character
/// boundary when there is none), so no token is cut in the middle.
fn bounded_name(name: &str) -> &str {
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let mut end = MAX_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let head = &name[..end];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => &head[..space],
        _ => head,
    }
}

/// The tokens of a screened name, within the engine's bounds: the name read up to
/// [`MAX_NAME_BYTES`], at most [`MAX_TOKENS_PER_NAME`] tokens and at most `budget` (the
/// subject's remaining token budget, reduced by what is returned).
pub(crate) fn query_tokens(name: &str, budget: &mut usize) -> Vec<Token> {
    let mut tokens = tokenize(bounded_name(name));
    tokens.truncate(MAX_TOKENS_PER_NAME.min(*budget));
    *budget -= tokens.len();
    tokens
}

/// Tokenise a name.
pub(crate) fn tokenize(name: &str) -> Vec<Token> {
    let folded = fold(name);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        // Longest legal-form phrase starting here.
        if let Some((len, canonical)) = LEGAL_PHRASES
            .iter()
            .filter(|(phrase, _)| words[i..].starts_with(phrase))
            .map(|(phrase, canonical)| (phrase.len(), *canonical))
            .max_by_key(|(len, _)| *len)
        {
            let key = exact_legal_form(canonical).unwrap_or(canonical);
            out.push(Token { text: canonical.into(), key: key.into(), role: Role::LegalForm });
            i += len;
            continue;
        }
        let word = words[i];
        if let Some(n) = number_key(word) {
            // "forty four" → 44.
            let mut value = n;
            let mut used = 1;
            if (20..100).contains(&n) && n % 10 == 0 {
                if let Some(unit) =
                    words.get(i + 1).and_then(|w| number_key(w)).filter(|u| (1..10).contains(u))
                {
                    value += unit;
                    used = 2;
                }
            }
            let digits = value.to_string();
            out.push(Token { text: digits.clone(), key: digits, role: Role::Number });
            i += used;
            continue;
        }
        let (role, key) = if word.bytes().all(|b| b.is_ascii_digit()) {
            (Role::Number, word.to_owned())
        } else if let Some(canonical) = legal_form(word) {
            (Role::LegalForm, canonical.to_owned())
        } else if PARTICLES.contains(&word) {
            (Role::Particle, family_key(word).unwrap_or(word).to_owned())
        } else if TITLES.contains(&word) {
            (Role::Title, word.to_owned())
        } else if word.len() == 1 {
            (Role::Initial, word.to_owned())
        } else if is_patronymic(word) {
            (Role::Patronymic, family_key(word).unwrap_or(word).to_owned())
        } else {
            (Role::Name, family_key(word).unwrap_or(word).to_owned())
        };
        out.push(Token { text: word.to_owned(), key, role });
        i += 1;
    }
    // Three or more single letters in a row are an acronym ("A.B.C." → "abc").
    let mut merged: Vec<Token> = Vec::with_capacity(out.len());
    let mut k = 0;
    while k < out.len() {
        let run = out[k..].iter().take_while(|t| t.role == Role::Initial).count();
        if run >= 3 {
            let text: String = out[k..k + run].iter().map(|t| t.text.as_str()).collect();
            merged.push(Token { key: text.clone(), text, role: Role::Name });
            k += run;
        } else {
            merged.push(out[k].clone());
            k += 1;
        }
    }
    if name.chars().any(is_syllabic) {
        for t in merged.iter_mut().filter(|t| t.role == Role::Name) {
            t.role = Role::Syllable;
        }
    }
    // A father-name form is a patronymic only inside a name of three or more parts, never first
    // ("Lukashevich" alone is a family name).
    let n = merged.len();
    for (i, t) in merged.iter_mut().enumerate() {
        if t.role == Role::Patronymic && (n < 3 || i == 0) {
            t.role = Role::Name;
        }
    }
    merged
}

fn is_patronymic(word: &str) -> bool {
    const SUFFIXES: [&str; 12] =
        ["ovich", "evich", "ovych", "evych", "ovna", "evna", "ivna", "ichna", "oglu", "ogly", "kyzy", "qizi"];
    word.len() >= 7 && SUFFIXES.iter().any(|s| word.ends_with(s))
}

pub(crate) fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// True for tokens written without vowels — typically transliterated Arabic, Hebrew or Persian,
/// which only a consonant skeleton can relate to a Latin spelling.
pub(crate) fn is_vowelless(text: &str) -> bool {
    text.len() >= 3 && text.bytes().all(|b| b.is_ascii_alphabetic() && !is_vowel(b))
}

/// Consonant skeleton: vowels dropped, similar-sounding consonants merged, repeats collapsed.
pub(crate) fn skeleton(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut last = 0u8;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        let mapped = match b {
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w' => 0,
            b'p' if next == b'h' => {
                i += 1;
                b'f'
            }
            b'k' | b'g' if next == b'h' => {
                i += 1;
                b'h'
            }
            b'c' | b'q' => b'k',
            b'z' => b's',
            b'v' => b'f',
            b'j' => b'g',
            _ if b.is_ascii_digit() => b,
            _ => b,
        };
        if mapped != 0 && mapped != last {
            out.push(mapped as char);
        }
        if mapped != 0 {
            last = mapped;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(name: &str) -> Vec<String> {
        tokenize(name).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn folds_diacritics_invisible_characters_and_homoglyphs() {
        assert_eq!(texts("José  O'Brien-Núñez"), ["jose", "obrien", "nunez"]);
        assert_eq!(texts("Vla\u{200B}dimir\u{00A0}PUTIN"), ["vladimir", "putin"]);
        // Cyrillic 'а' and 'о' inside a Latin word.
        assert_eq!(texts("Mаdurо"), ["maduro"]);
        assert_eq!(texts("Ротенберг"), ["rotenberg"]);
    }

    #[test]
    fn tags_roles_and_families() {
        let t = tokenize("Mr. Mohammed al-Hassan Trading LLC");
        let roles: Vec<Role> = t.iter().map(|t| t.role).collect();
        assert_eq!(
            roles,
            [Role::Title, Role::Name, Role::Particle, Role::Name, Role::LegalForm, Role::LegalForm]
        );
        assert_eq!(t[1].key, "muhammad");
        let t = tokenize("Tactical Missiles Corporation Joint Stock Company");
        assert_eq!(t.last().map(|t| t.text.as_str()), Some("jsc"));
    }

    #[test]
    fn screened_names_are_bounded() {
        // Tokens per name.
        let many: String = (0..200).map(|i| format!("w{i:03}x ")).collect();
        let mut budget = usize::MAX;
        assert_eq!(query_tokens(&many, &mut budget).len(), MAX_TOKENS_PER_NAME);
        // Tokens per subject: the budget runs out.
        let mut budget = MAX_TOKENS_PER_SUBJECT;
        assert_eq!(query_tokens(&many, &mut budget).len(), MAX_TOKENS_PER_NAME);
        assert_eq!(query_tokens(&many, &mut budget).len(), MAX_TOKENS_PER_SUBJECT - MAX_TOKENS_PER_NAME);
        assert!(query_tokens(&many, &mut budget).is_empty());
        assert_eq!(budget, 0);
        // Bytes read per name: cut at a separator, never inside a word or a character.
        let long = format!("{} Putin", "щ".repeat(100_000));
        assert!(bounded_name(&long).len() <= MAX_NAME_BYTES);
        let words = "Владимир ".repeat(1_000);
        let cut = bounded_name(&words);
        assert!(cut.len() <= MAX_NAME_BYTES && cut.ends_with("Владимир"), "{}", cut.len());
        let mut budget = usize::MAX;
        assert_eq!(query_tokens("Vladimir Putin", &mut budget).len(), 2);
        assert_eq!(texts("Vladimir Putin"), ["vladimir", "putin"]);
    }

    #[test]
    fn skeleton_relates_abjad_and_latin_spellings() {
        assert_eq!(skeleton("mohammed"), skeleton("mhmd"));
        assert!(is_vowelless("mhmd"));
        assert!(!is_vowelless("smith"));
    }
}
