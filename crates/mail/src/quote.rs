//! Quoted history: what a mail client appends under the customer's words. Trimmed so that a
//! ticket's thread shows each message once.

/// Removes the quoted history from a mail's text: everything from the first quote header —
/// Gmail's/Apple's `On … wrote:` (also wrapped over two lines, and the German and French
/// forms), Outlook's `From: … Sent: …` block (with the `____` rule above it), or
/// `-----Original Message-----` — and every remaining line that starts with `>`.
/// When that leaves nothing (a mail that only quotes), the text is kept whole.
pub fn trim_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = (0..lines.len()).find_map(|i| quote_start(&lines, i)).unwrap_or(lines.len());
    let kept: Vec<&str> = lines[..end].iter().copied().filter(|l| !l.starts_with('>')).collect();
    let trimmed = squeeze(&kept);
    if trimmed.is_empty() { squeeze(&lines) } else { trimmed }
}

/// Where the quote starts if line `i` opens one (an underscore rule just above an Outlook
/// block belongs to it).
fn quote_start(lines: &[&str], i: usize) -> Option<usize> {
    let line = lines[i].trim();
    if is_original_message(line) || wrote_header(lines, i) {
        return Some(i);
    }
    if outlook_block(lines, i) {
        let rule = i
            .checked_sub(1)
            .filter(|&j| {
                let above = lines[j].trim();
                above.len() >= 5 && above.chars().all(|c| c == '_' || c == '-')
            })
            .unwrap_or(i);
        return Some(rule);
    }
    None
}

/// `-----Original Message-----`, `----- Original Message -----` (any case).
fn is_original_message(line: &str) -> bool {
    let core = line.trim_matches('-').trim();
    line.starts_with("--") && line.ends_with("--") && core.eq_ignore_ascii_case("original message")
}

const WROTE_OPENERS: [&str; 3] = ["On ", "Am ", "Le "];
const WROTE_ENDINGS: [&str; 4] = ["wrote:", "schrieb:", "a écrit :", "a écrit:"];

/// `On Tue, 1 Dec 2026 at 10:00, Acme Support <support@acme.test> wrote:`, possibly wrapped
/// onto the next line (the ending within two lines, no blank line between).
fn wrote_header(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    if !WROTE_OPENERS.iter().any(|o| line.starts_with(o)) {
        return false;
    }
    let ends = |l: &str| WROTE_ENDINGS.iter().any(|e| l.trim_end().ends_with(e));
    // German: "Am 01.12.2026 um 10:00 schrieb Acme Support <…>:"
    let german = |l: &str| line.starts_with("Am ") && l.contains(" schrieb ") && l.trim_end().ends_with(':');
    lines[i..].iter().take(3).take_while(|l| !l.trim().is_empty()).any(|l| ends(l) || german(l))
}

const FROM_LABELS: [&str; 3] = ["From:", "Von:", "De :"];
const SENT_LABELS: [&str; 5] = ["Sent:", "Date:", "Gesendet:", "Envoyé :", "Datum:"];

/// Outlook's reply header: `From: …` then, within the next four lines, `Sent: …` (or
/// `Date: …`). Gmail's text rendering bolds them (`*From:*`).
fn outlook_block(lines: &[&str], i: usize) -> bool {
    let label = |l: &str, labels: &[&str]| {
        let l = l.trim().trim_start_matches('*');
        let l = l.replacen(":*", ":", 1);
        labels.iter().any(|x| l.starts_with(x))
    };
    label(lines[i], &FROM_LABELS) && lines[i + 1..].iter().take(4).any(|l| label(l, &SENT_LABELS))
}

/// Joins lines with runs of blank lines cut to one, without leading or trailing blanks.
fn squeeze(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_trimming_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("nothing quoted", "Thanks, that worked.\n\nBest,\nAnna", "Thanks, that worked.\n\nBest,\nAnna"),
            (
                "gmail one line",
                "Thanks!\n\nOn Thu, Dec 3, 2026 at 10:02 AM Acme Support <support@acme.test> wrote:\n> Hello\n> there",
                "Thanks!",
            ),
            (
                "gmail wrapped",
                "Yes please.\n\nOn Thu, 3 Dec 2026 at 10:02, Acme Support <\nsupport+ACME-12.K3J5Q2XWZA@acme.test> wrote:\n\n> Hello",
                "Yes please.",
            ),
            (
                "german",
                "Danke.\n\nAm 03.12.2026 um 10:02 schrieb Acme Support <support@acme.test>:\n> Hallo",
                "Danke.",
            ),
            (
                "french",
                "Merci.\n\nLe jeu. 3 déc. 2026 à 10:02, Acme <s@acme.test> a écrit :\n> Bonjour",
                "Merci.",
            ),
            (
                "outlook block with rule",
                "It still fails.\n\n________________________________\nFrom: Acme Support <support@acme.test>\nSent: Thursday, December 3, 2026 10:02 AM\nTo: Bob\nSubject: RE: [ACME-12] Login\n\nHello Bob,",
                "It still fails.",
            ),
            (
                "outlook bold (gmail rendering)",
                "See below.\n\n*From:* Acme <support@acme.test>\n*Sent:* Thursday\n*To:* Bob\n\nHello",
                "See below.",
            ),
            (
                "original message",
                "Here is the log.\n\n-----Original Message-----\nFrom: Acme\nSent: Thu\n\nHi",
                "Here is the log.",
            ),
            (
                "inline quotes removed",
                "> Did you restart?\nYes, twice.\n> And?\nStill broken.",
                "Yes, twice.\nStill broken.",
            ),
            ("only quotes kept whole", "> all quoted\n> nothing new", "> all quoted\n> nothing new"),
            (
                "a sentence starting with On is kept",
                "On Monday it broke again.\nPlease help.",
                "On Monday it broke again.\nPlease help.",
            ),
            (
                "From: in the text without Sent: is kept",
                "From: my phone\nIt is broken.",
                "From: my phone\nIt is broken.",
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(trim_quoted(input), *expected, "{name}");
        }
    }
}
