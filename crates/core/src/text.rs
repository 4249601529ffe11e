//! Folding text for matching: case, Latin diacritics, Arabic vowel marks and letter variants,
//! Ukrainian letter variants. The taxonomy's matching and the search index fold alike, so a
//! word a visitor types finds the labels and the documents the same way.

use std::ops::Range;

pub fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

pub fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// Combining diacritics, Arabic vowel marks and Quranic annotations, tatweel.
pub fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06ED}'
        | '\u{0640}')
}

/// Pushes the folded form of one lowercase character.
pub fn fold(c: char, out: &mut String) {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'š' | 'ş' | 'ș' => 's',
        'ť' | 'ţ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'æ' => return out.push_str("ae"),
        'œ' => return out.push_str("oe"),
        'ß' => return out.push_str("ss"),
        'ё' => 'е',
        'ґ' => 'г',
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ة' => 'ه',
        'ى' | 'ی' => 'ي',
        'ک' => 'ك',
        other => other,
    };
    out.push(folded);
}

/// The next word of `text` from byte `from` on, folded into `word` (emptied first), and its
/// byte range in `text`; `None` when no word is left. A word is a run of letters and digits:
/// marks inside it are dropped without splitting it, an apostrophe splits Latin words
/// (`l'impiego`) but not Cyrillic ones (`сім'я`). The search index's tokenizer and
/// [`folded_words`] both read text through it, so documents and queries split alike.
pub fn next_word(text: &str, from: usize, word: &mut String) -> Option<Range<usize>> {
    word.clear();
    let rest = &text[from..];
    let mut start = None;
    let mut end = text.len();
    let mut prev: Option<char> = None;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = from + i;
        let in_word = start.is_some();
        if is_mark(c) {
            // Vowel marks and tatweel belong to the word but are not kept (some are
            // alphabetic for Unicode, so this comes first); one before any letter is
            // dropped too.
        } else if c.is_alphanumeric() {
            start.get_or_insert(at);
            for lower in c.to_lowercase() {
                fold(lower, word);
            }
        } else if in_word
            && is_apostrophe(c)
            && prev.is_some_and(is_cyrillic)
            && chars.peek().is_some_and(|&(_, n)| is_cyrillic(n))
        {
            // сім'я: one word
        } else if in_word {
            end = at;
            break;
        }
        prev = Some(c);
    }
    Some(start?..end)
}

/// The folded words of `text` ([`next_word`]), each with its byte range in `text`.
pub fn folded_words(text: &str) -> impl Iterator<Item = (String, Range<usize>)> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let mut word = String::new();
        let range = next_word(text, from, &mut word)?;
        from = range.end;
        Some((word, range))
    })
}

/// The primary language subtag of a BCP 47 tag, lowercase: `"en-GB"` → `"en"`.
pub fn primary_subtag(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_subtags() {
        assert_eq!(primary_subtag("pt_BR"), "pt");
        assert_eq!(primary_subtag(" en-GB"), "en");
        assert_eq!(primary_subtag("IT"), "it");
    }

    #[test]
    fn words_know_where_they_are() {
        let words: Vec<(String, Range<usize>)> = folded_words("L'Aquila, сім'я").collect();
        assert_eq!(
            words,
            [
                ("l".to_owned(), 0..1),
                ("aquila".to_owned(), 2..8),
                ("сімя".to_owned(), 10..19)
            ]
        );
    }
}
