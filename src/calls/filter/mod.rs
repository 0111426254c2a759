//! The filter language of the TUI's `/` line and of `--filter EXPR` in every output mode: terms
//! like `state=fail`, `carrier~voda`, `pdd>3s` or bare words, joined by `and`, `or`, `!` and
//! parentheses. [`Filter::parse`] reads an expression once; [`Filter::matches`] then tests a call
//! without allocating, so re-filtering 100,000 calls fits the 30 ms budget of docs/architecture.md.
//!
//! Grammar (`!` binds tightest, then `and`, then `or`; two terms side by side mean `and`):
//!
//! ```text
//! expr    = and ( "or" and )*
//! and     = unary ( "and"? unary )*
//! unary   = ( "!" | "not" )* primary
//! primary = "(" expr ")" | field op value | word
//! op      = "=" | "!=" | "~" | "!~" | ">" | ">=" | "<" | "<="
//! ```

use std::fmt::{self, Write as _};

use crate::calls::search::{BytePairs, NumField, UNKNOWN_CODE, code, lowercase};
use crate::calls::store::CallRecord;
use crate::text::edit_distance;
use crate::twilio::cloudevent::SummaryKind;
use crate::twilio::summary::{CallState, CallType, Direction, DisconnectedBy};

/// Parentheses nested deeper than this are refused: parsing and matching recurse.
const MAX_DEPTH: usize = 64;

/// A parsed filter expression: what the user typed, and the tree that [`Filter::matches`]
/// walks. The empty expression matches every call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    text: String,
    root: Node,
}

/// Why an expression could not be read: where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// Offset in characters (not bytes) from the start of the expression; equal to the length
    /// of the expression when the problem is at its end.
    pub position: usize,
    /// What is wrong, with the column (1-based) and what to write instead.
    pub message: String,
}

impl FilterError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }

    /// The expression on one line and a caret under the error position on the next, both
    /// indented by two spaces, for a terminal:
    ///
    /// ```text
    ///   carier=x
    ///   ^
    /// ```
    pub fn pointer(&self, text: &str) -> String {
        let shown: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("  {shown}\n  {}^", " ".repeat(self.position))
    }
}

impl Filter {
    /// Every field, with a one-line help for the help overlay, in the order the help lists them.
    pub const FIELDS: &'static [(&'static str, &'static str)] = &[
        (
            "state",
            "call state: completed, busy, fail (failed), noanswer (no-answer), canceled, answered, ringing, undialed",
        ),
        (
            "type",
            "call type: carrier, sip, trunking, client, whatsapp",
        ),
        (
            "direction",
            "inbound, outbound_api, outbound_dial, trunking_originating, trunking_terminating",
        ),
        ("carrier", "carrier of either party, e.g. carrier~vodafone"),
        ("from", "caller: number, client:name or SIP URI"),
        ("to", "callee: number, client:name or SIP URI"),
        ("hangup", "who hung up: caller, callee, unknown"),
        ("q850", "Q.850 cause (number), e.g. q850=17"),
        ("sip", "last SIP response (number), e.g. sip>=500"),
        (
            "pdd",
            "post-dial delay in ms (number; 3s also works), e.g. pdd>3000",
        ),
        (
            "duration",
            "duration in seconds (number; 2m also works), e.g. duration<5",
        ),
        ("tag", "any quality tag, e.g. tag=high_jitter or tag~loss"),
        (
            "processing",
            "summary stage: partial, predicted (predicted-complete), complete",
        ),
    ];

    /// The syntax in short, for the help overlay: (what to type, what it does).
    pub const SYNTAX: &'static [(&'static str, &'static str)] = &[
        ("field=value", "equals, ignoring case (!= for not equal)"),
        (
            "field~text",
            "contains text, ignoring case (!~ for does not contain)",
        ),
        ("field>N  field<N", "compares numbers (also >= and <=)"),
        ("word", "any field contains word"),
        ("a b   a and b", "both"),
        ("a or b", "either"),
        ("!a   not a", "not"),
        ("( )", "grouping: ! binds tightest, then and, then or"),
        (
            "\"...\"",
            "quotes a value with spaces or symbols: carrier=\"AT&T Wireless\"",
        ),
    ];

    /// Reads an expression. Blank text gives the filter that matches every call.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            end: text.chars().count(),
            depth: 0,
        };
        let root = parser.expression()?;
        Ok(Self {
            text: text.to_owned(),
            root,
        })
    }

    /// True when the call matches. Allocates nothing, except when both a search text and the
    /// field it is compared with contain non-ASCII letters.
    pub fn matches(&self, record: &CallRecord) -> bool {
        self.root.matches(record)
    }

    /// The expression as it was typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True for the blank expression, which matches every call.
    pub fn is_match_all(&self) -> bool {
        self.root == Node::All
    }

    /// The expression as it is evaluated: every `and`/`or` group in parentheses, field
    /// aliases replaced by field names, numbers in their base unit (`pdd>3s` → `pdd>3000`).
    /// Shows a user how their expression was read.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.root.write_canonical(&mut out);
        out
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

// ---------------------------------------------------------------------------------------------
// Fields

/// A field compared as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextField {
    State,
    Type,
    Direction,
    Carrier,
    From,
    To,
    Hangup,
    Tag,
    Processing,
}

/// A field name as written in an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Text(TextField),
    Num(NumField),
}

impl Field {
    /// The field for a name (any case): the names of [`Filter::FIELDS`] and, for people who
    /// also read the ndjson lines, the ndjson names.
    fn from_name(name: &str) -> Option<Self> {
        use {NumField as N, TextField as T};
        let field = match name.to_ascii_lowercase().as_str() {
            "state" | "call_state" => Self::Text(T::State),
            "type" | "call_type" => Self::Text(T::Type),
            "direction" => Self::Text(T::Direction),
            "carrier" => Self::Text(T::Carrier),
            "from" | "from_caller" | "caller" => Self::Text(T::From),
            "to" | "to_callee" | "callee" => Self::Text(T::To),
            "hangup" | "disconnected_by" => Self::Text(T::Hangup),
            "tag" | "tags" => Self::Text(T::Tag),
            "processing" | "processing_state" => Self::Text(T::Processing),
            "q850" | "q850_cause" => Self::Num(N::Q850),
            "sip" | "last_sip_response_num" => Self::Num(N::Sip),
            "pdd" | "pdd_ms" => Self::Num(N::Pdd),
            "duration" => Self::Num(N::Duration),
            _ => return None,
        };
        Some(field)
    }

    /// The name in [`Filter::FIELDS`].
    fn name(self) -> &'static str {
        match self {
            Self::Text(TextField::State) => "state",
            Self::Text(TextField::Type) => "type",
            Self::Text(TextField::Direction) => "direction",
            Self::Text(TextField::Carrier) => "carrier",
            Self::Text(TextField::From) => "from",
            Self::Text(TextField::To) => "to",
            Self::Text(TextField::Hangup) => "hangup",
            Self::Text(TextField::Tag) => "tag",
            Self::Text(TextField::Processing) => "processing",
            Self::Num(NumField::Q850) => "q850",
            Self::Num(NumField::Sip) => "sip",
            Self::Num(NumField::Pdd) => "pdd",
            Self::Num(NumField::Duration) => "duration",
        }
    }

    /// A term that works, for error messages.
    fn example(self) -> &'static str {
        match self {
            Self::Text(TextField::State) => "state=fail",
            Self::Text(TextField::Type) => "type=sip",
            Self::Text(TextField::Direction) => "direction=inbound",
            Self::Text(TextField::Carrier) => "carrier~vodafone",
            Self::Text(TextField::From) => "from~+1415",
            Self::Text(TextField::To) => "to~+44",
            Self::Text(TextField::Hangup) => "hangup=caller",
            Self::Text(TextField::Tag) => "tag=high_jitter",
            Self::Text(TextField::Processing) => "processing=complete",
            Self::Num(NumField::Q850) => "q850=16",
            Self::Num(NumField::Sip) => "sip>=500",
            Self::Num(NumField::Pdd) => "pdd>3000",
            Self::Num(NumField::Duration) => "duration>60",
        }
    }
}

impl TextField {
    /// The slot in [`SearchText`](crate::calls::search::SearchText)'s codes of an enum field.
    fn slot(self) -> Option<usize> {
        match self {
            Self::State => Some(0),
            Self::Type => Some(1),
            Self::Direction => Some(2),
            Self::Hangup => Some(3),
            _ => None,
        }
    }

    /// The wire names of an enum field's known values, in code order.
    fn known_names(self) -> Vec<&'static str> {
        fn names<T>(
            known: &'static [T],
            name: fn(&'static T) -> &'static str,
        ) -> Vec<&'static str> {
            known.iter().map(name).collect()
        }
        match self {
            Self::State => names(CallState::KNOWN, CallState::as_str),
            Self::Type => names(CallType::KNOWN, CallType::as_str),
            Self::Direction => names(Direction::KNOWN, Direction::as_str),
            Self::Hangup => names(DisconnectedBy::KNOWN, DisconnectedBy::as_str),
            _ => Vec::new(),
        }
    }

    /// An enum field's value as the summary has it (for values without a code).
    fn enum_value(self, record: &CallRecord) -> &str {
        let s = &record.summary;
        match self {
            Self::State => s.call_state.as_str(),
            Self::Type => s.call_type.as_str(),
            Self::Direction => s.properties.direction.as_str(),
            Self::Hangup => s.properties.disconnected_by.as_str(),
            _ => "",
        }
    }

    /// True when some value of the field in `record` equals (`exact`) or contains the
    /// needle, ignoring case (`carrier` has two values, `tag` any number).
    fn has(self, record: &CallRecord, needle: &Needle, exact: bool) -> bool {
        let s = &record.summary;
        // The signature first: most calls are settled without reading their strings.
        let text = |hay: &str| needle.matches(hay, exact);
        match self {
            Self::Carrier => {
                record.search.may_contain(&needle.pairs)
                    && (text(&s.from.carrier) || text(&s.to.carrier))
            }
            Self::From => record.search.may_contain(&needle.pairs) && text(&s.from.caller),
            Self::To => record.search.may_contain(&needle.pairs) && text(&s.to.callee),
            Self::Tag => record.search.may_contain(&needle.pairs) && s.tags.iter().any(|t| text(t)),
            Self::Processing => text(record.kind().processing_name()),
            Self::State | Self::Type | Self::Direction | Self::Hangup => {
                text(self.enum_value(record))
            }
        }
    }

    /// Fields whose values are wire enum names, where `-` may be typed for `_`.
    fn is_enum(self) -> bool {
        self.slot().is_some()
    }
}

impl NumField {
    fn value(self, record: &CallRecord) -> Option<i64> {
        record.search.number(self)
    }

    /// Unit suffixes a value may carry, with what they multiply by.
    fn units(self) -> &'static [(&'static str, i64)] {
        match self {
            Self::Pdd => &[("ms", 1), ("s", 1000)],
            Self::Duration => &[("s", 1), ("min", 60), ("m", 60), ("h", 3600)],
            Self::Q850 | Self::Sip => &[],
        }
    }
}

/// The call state a friendly spelling stands for (`failed` → `fail`).
fn state_alias(lower: &str) -> Option<&'static str> {
    match lower {
        "failed" | "failure" => Some("fail"),
        "no-answer" | "no_answer" => Some("noanswer"),
        "cancelled" => Some("canceled"),
        _ => None,
    }
}

/// The stage a `processing=` value names.
fn processing_kind(lower: &str) -> Option<SummaryKind> {
    match lower {
        "partial" => Some(SummaryKind::Partial),
        "predicted" | "predicted-complete" | "predicted_complete" | "predictedcomplete" => {
            Some(SummaryKind::PredictedComplete)
        }
        "complete" | "completed" => Some(SummaryKind::Complete),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Matching

/// A search text, lowercased once at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Needle {
    lower: Box<str>,
    /// `lower` is ASCII: compare bytes, ignoring ASCII case, without allocating.
    ascii: bool,
    /// `lower` is all digits: numbers are searched too (bare words only).
    digits: bool,
    /// The byte pairs of `lower`, checked against a [`SearchText`](crate::calls::search::SearchText)'s before reading its text.
    pairs: BytePairs,
}

impl Needle {
    fn new(text: &str) -> Self {
        let lower = lowercase(text);
        Self {
            ascii: lower.is_ascii(),
            digits: !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()),
            pairs: BytePairs::of(&lower),
            lower: lower.into_boxed_str(),
        }
    }

    /// `hay` (an enum's wire value) equals (`exact`) or contains the needle, ignoring case.
    fn matches(&self, hay: &str, exact: bool) -> bool {
        if exact {
            self.equals(hay)
        } else {
            self.within(hay)
        }
    }

    /// `hay` (an enum's wire value) equals the needle, ignoring case.
    fn equals(&self, hay: &str) -> bool {
        if self.ascii {
            hay.eq_ignore_ascii_case(&self.lower)
        } else {
            hay.chars()
                .flat_map(char::to_lowercase)
                .eq(self.lower.chars())
        }
    }

    /// `hay` (an enum's wire value) contains the needle, ignoring case.
    fn within(&self, hay: &str) -> bool {
        if self.ascii {
            ascii_contains(hay.as_bytes(), self.lower.as_bytes())
        } else if hay.is_ascii() {
            // A needle with non-ASCII letters cannot occur in ASCII text.
            false
        } else {
            lowercase(hay).contains(&*self.lower)
        }
    }

    /// The decimal form of `n` contains the needle.
    fn within_number(&self, n: i64) -> bool {
        let mut buf = [0u8; 20];
        ascii_contains(decimal(n, &mut buf), self.lower.as_bytes())
    }
}

/// `needle` (lowercase ASCII) occurs in `hay`, ignoring ASCII case.
fn ascii_contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    let upper = first.to_ascii_uppercase();
    (0..=hay.len() - needle.len()).any(|i| {
        let b = hay[i];
        (b == first || b == upper) && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest)
    })
}

/// Writes `n` in decimal into `buf` (20 bytes hold any i64) and returns the digits.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// The parsed expression.
#[derive(Debug, Clone, PartialEq, Default)]
enum Node {
    /// The blank expression.
    #[default]
    All,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Term(Term),
}

impl Node {
    fn matches(&self, record: &CallRecord) -> bool {
        match self {
            Self::All => true,
            Self::And(items) => items.iter().all(|n| n.matches(record)),
            Self::Or(items) => items.iter().any(|n| n.matches(record)),
            Self::Not(inner) => !inner.matches(record),
            Self::Term(term) => term.test.matches(record) != term.negate,
        }
    }

    fn write_canonical(&self, out: &mut String) {
        let group = |out: &mut String, items: &[Node], joiner: &str| {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                item.write_canonical(out);
            }
            out.push(')');
        };
        match self {
            Self::All => {}
            Self::And(items) => group(out, items, " and "),
            Self::Or(items) => group(out, items, " or "),
            Self::Not(inner) => {
                out.push('!');
                inner.write_canonical(out);
            }
            Self::Term(term) => term.write_canonical(out),
        }
    }
}

/// One term: how it was written (for [`Filter::canonical`]) and what it tests.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    /// `None` for a bare word.
    field: Option<Field>,
    op: CmpOp,
    /// The value as typed (unquoted).
    value: String,
    test: Test,
    /// `!=` and `!~`: the test, negated.
    negate: bool,
}

impl Term {
    fn write_canonical(&self, out: &mut String) {
        let Some(field) = self.field else {
            write_value(out, &self.value);
            return;
        };
        out.push_str(field.name());
        out.push_str(self.op.as_str());
        match &self.test {
            Test::Number { value, .. } => {
                let _ = write!(out, "{value}");
            }
            _ => write_value(out, &self.value),
        }
    }
}

/// Writes a value, quoted when it would not read back as one word.
fn write_value(out: &mut String, value: &str) {
    let plain = !value.is_empty() && !value.chars().any(ends_word) && Keyword::of(value).is_none();
    if plain {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// What a term checks, compiled for speed.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// Some value of a text field equals (`exact`) or contains one of the needles.
    Text {
        field: TextField,
        exact: bool,
        needles: Box<[Needle]>,
    },
    /// An enum field: `known` has bit `i` set when its `i`-th known value matches; values
    /// without a code are compared as text with the needles.
    Enum {
        field: TextField,
        known: u16,
        exact: bool,
        needles: Box<[Needle]>,
    },
    /// The field is present and compares as asked with `value`.
    Number {
        field: NumField,
        cmp: NumCmp,
        value: i64,
    },
    /// The call's best summary is of a stage whose bit (in [`SummaryKind::ALL`] order) is set.
    Processing(u8),
    /// A bare word: any text field (or number, for digits) contains it.
    Anywhere {
        needle: Needle,
        /// By enum slot, the known values that contain the word (or that it is a friendly
        /// name for: `failed` → `fail`).
        known: [u16; 4],
        /// The stages whose names contain the word.
        stages: u8,
    },
}

impl Test {
    fn matches(&self, record: &CallRecord) -> bool {
        match self {
            Self::Text {
                field,
                exact,
                needles,
            } => needles.iter().any(|n| field.has(record, n, *exact)),
            Self::Enum {
                field,
                known,
                exact,
                needles,
            } => {
                let slot = field.slot().unwrap_or_default();
                match record.search.codes[slot] {
                    UNKNOWN_CODE => needles.iter().any(|n| field.has(record, n, *exact)),
                    code => known >> code & 1 == 1,
                }
            }
            Self::Number { field, cmp, value } => field
                .value(record)
                .is_some_and(|have| cmp.holds(have, *value)),
            Self::Processing(stages) => stages >> stage_index(record.kind()) & 1 == 1,
            Self::Anywhere {
                needle,
                known,
                stages,
            } => anywhere(record, needle, known, *stages),
        }
    }
}

/// A bare word: the enum fields and stage by their codes, the numbers (for digits), then,
/// if the signature allows, the text fields: call SID, carriers, caller, callee, tags.
fn anywhere(record: &CallRecord, needle: &Needle, known: &[u16; 4], stages: u8) -> bool {
    let search = &record.search;
    let enums = [
        TextField::State,
        TextField::Type,
        TextField::Direction,
        TextField::Hangup,
    ];
    let s = &record.summary;
    enums.into_iter().zip(known).any(|(field, known)| {
        match search.codes[field.slot().unwrap_or_default()] {
            UNKNOWN_CODE => needle.within(field.enum_value(record)),
            code => known >> code & 1 == 1,
        }
    }) || (stages != 0 && stages >> stage_index(record.kind()) & 1 == 1)
        || (needle.digits
            && [
                NumField::Q850,
                NumField::Sip,
                NumField::Pdd,
                NumField::Duration,
            ]
            .into_iter()
            .filter_map(|f| search.number(f))
            .any(|n| needle.within_number(n)))
        || (search.may_contain(&needle.pairs)
            && [
                s.call_sid.as_str(),
                s.from.carrier.as_str(),
                s.to.carrier.as_str(),
                s.from.caller.as_str(),
                s.to.callee.as_str(),
            ]
            .into_iter()
            .chain(s.tags.iter().map(String::as_str))
            .any(|t| needle.within(t)))
}

/// The position of `kind` in [`SummaryKind::ALL`].
fn stage_index(kind: SummaryKind) -> u8 {
    code(&SummaryKind::ALL, &kind)
}

/// The bits (in code order) of an enum field's known values whose names pass `test`.
fn known_where(field: TextField, test: impl Fn(&str) -> bool) -> u16 {
    field
        .known_names()
        .iter()
        .enumerate()
        .filter(|(_, name)| test(name))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// The bits (in [`SummaryKind::ALL`] order) of the stages whose names pass `test`.
fn stages_where(test: impl Fn(&str) -> bool) -> u8 {
    SummaryKind::ALL
        .iter()
        .enumerate()
        .filter(|(_, kind)| test(kind.processing_name()))
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

/// A numeric comparison; `!=` is a negated `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumCmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl NumCmp {
    fn holds(self, have: i64, want: i64) -> bool {
        match self {
            Self::Eq => have == want,
            Self::Lt => have < want,
            Self::Le => have <= want,
            Self::Gt => have > want,
            Self::Ge => have >= want,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A comparison operator as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Contains,
    NotContains,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Contains => "~",
            Self::NotContains => "!~",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Bang,
    Op(CmpOp),
    Word { text: String, quoted: bool },
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    /// Character offset of its first character.
    pos: usize,
}

/// Unquoted words that join or negate terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    And,
    Or,
    Not,
}

impl Keyword {
    fn of(word: &str) -> Option<Self> {
        if word.eq_ignore_ascii_case("and") || word == "&&" {
            Some(Self::And)
        } else if word.eq_ignore_ascii_case("or") || word == "||" {
            Some(Self::Or)
        } else if word.eq_ignore_ascii_case("not") {
            Some(Self::Not)
        } else {
            None
        }
    }
}

/// Characters that end an unquoted word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '!' | '=' | '~' | '<' | '>' | '"')
}

/// 1-based column of a character offset, for messages.
fn column(pos: usize) -> usize {
    pos + 1
}

fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let (tok, len) = match chars[i] {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::Open, 1),
            ')' => (Tok::Close, 1),
            '!' if next == Some('=') => (Tok::Op(CmpOp::Ne), 2),
            '!' if next == Some('~') => (Tok::Op(CmpOp::NotContains), 2),
            '!' => (Tok::Bang, 1),
            '=' if next == Some('=') => (Tok::Op(CmpOp::Eq), 2),
            '=' => (Tok::Op(CmpOp::Eq), 1),
            '~' => (Tok::Op(CmpOp::Contains), 1),
            '<' if next == Some('=') => (Tok::Op(CmpOp::Le), 2),
            '<' => (Tok::Op(CmpOp::Lt), 1),
            '>' if next == Some('=') => (Tok::Op(CmpOp::Ge), 2),
            '>' => (Tok::Op(CmpOp::Gt), 1),
            '"' => {
                let (text, len) = quoted(&chars, i)?;
                (Tok::Word { text, quoted: true }, len)
            }
            _ => {
                let len = chars[i..].iter().take_while(|&&c| !ends_word(c)).count();
                let text = chars[i..i + len].iter().collect();
                (
                    Tok::Word {
                        text,
                        quoted: false,
                    },
                    len,
                )
            }
        };
        tokens.push(Token { tok, pos: i });
        i += len;
    }
    Ok(tokens)
}

/// Reads the quoted word that opens at `start`: its text (with `\"` and `\\` unescaped) and
/// its length in characters, quotes included.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(FilterError::new(
                    start,
                    format!(
                        "unclosed `\"` at column {}: add a closing `\"`",
                        column(start)
                    ),
                ));
            }
            Some('"') => return Ok((text, i + 1 - start)),
            Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                text.push(chars[i + 1]);
                i += 2;
            }
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}

/// Recursive descent over the tokens; see the grammar in the module doc.
struct Parser {
    tokens: Vec<Token>,
    next: usize,
    /// Length of the expression in characters: the position of errors at its end.
    end: usize,
    /// Parentheses open around the current position.
    depth: usize,
}

impl Parser {
    fn expression(&mut self) -> Result<Node, FilterError> {
        if self.tokens.is_empty() {
            return Ok(Node::All);
        }
        let node = self.or()?;
        match self.peek().cloned() {
            None => Ok(node),
            Some(Token {
                tok: Tok::Close,
                pos,
            }) => Err(FilterError::new(
                pos,
                format!(
                    "unexpected `)` at column {}: there is no `(` to close",
                    column(pos)
                ),
            )),
            Some(Token {
                tok: Tok::Op(op),
                pos,
                ..
            }) => Err(FilterError::new(
                pos,
                format!(
                    "unexpected `{}` at column {}: a term has one operator; \
                     quote a value that contains one, e.g. from=\"a=b\"",
                    op.as_str(),
                    column(pos)
                ),
            )),
            Some(token) => Err(FilterError::new(
                token.pos,
                format!("unexpected text at column {}", column(token.pos)),
            )),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    /// The keyword at the current position, with its position and spelling.
    fn keyword(&self) -> Option<(Keyword, usize, &str)> {
        match self.peek()? {
            Token {
                tok:
                    Tok::Word {
                        text,
                        quoted: false,
                    },
                pos,
            } => Keyword::of(text).map(|k| (k, *pos, text.as_str())),
            _ => None,
        }
    }

    /// True when a term (or `!`, `not`, `(`) starts at the current position.
    fn starts_term(&self) -> bool {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Open | Tok::Bang) => true,
            Some(Tok::Word { .. }) => {
                matches!(self.keyword(), None | Some((Keyword::Not, _, _)))
            }
            _ => false,
        }
    }

    fn needs_term_after(&self, spelled: &str, pos: usize) -> FilterError {
        FilterError::new(
            pos,
            format!(
                "`{spelled}` at column {} needs a term after it, e.g. state=fail {spelled} carrier~voda",
                column(pos)
            ),
        )
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        let mut items = vec![self.and()?];
        while let Some((Keyword::Or, pos, spelled)) = self.keyword() {
            let spelled = spelled.to_owned();
            self.next += 1;
            if !self.starts_term() {
                return Err(self.needs_term_after(&spelled, pos));
            }
            items.push(self.and()?);
        }
        Ok(join(items, Node::Or))
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut items = vec![self.unary()?];
        loop {
            if let Some((Keyword::And, pos, spelled)) = self.keyword() {
                let spelled = spelled.to_owned();
                self.next += 1;
                if !self.starts_term() {
                    return Err(self.needs_term_after(&spelled, pos));
                }
            } else if !self.starts_term() {
                break;
            }
            items.push(self.unary()?);
        }
        Ok(join(items, Node::And))
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        let mut negations = 0usize;
        loop {
            let (pos, spelled) = match self.peek() {
                Some(Token {
                    tok: Tok::Bang,
                    pos,
                }) => (*pos, "!".to_owned()),
                _ => match self.keyword() {
                    Some((Keyword::Not, pos, spelled)) => (pos, format!("{spelled} ")),
                    _ => break,
                },
            };
            self.next += 1;
            if !self.starts_term() {
                let shown = spelled.trim_end();
                return Err(FilterError::new(
                    pos,
                    format!(
                        "`{shown}` at column {} needs a term after it, e.g. {spelled}state=completed",
                        column(pos)
                    ),
                ));
            }
            negations += 1;
        }
        let node = self.primary()?;
        // `!!a` is `a`: no need to keep a chain of negations.
        Ok(if negations % 2 == 1 {
            Node::Not(Box::new(node))
        } else {
            node
        })
    }

    fn primary(&mut self) -> Result<Node, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::new(
                self.end,
                "the expression ends where a term was expected",
            ));
        };
        let pos = token.pos;
        match token.tok {
            Tok::Open => {
                if self.depth >= MAX_DEPTH {
                    return Err(FilterError::new(
                        pos,
                        format!(
                            "`(` at column {}: parentheses nest at most {MAX_DEPTH} deep",
                            column(pos)
                        ),
                    ));
                }
                self.next += 1;
                if matches!(self.peek().map(|t| &t.tok), Some(Tok::Close)) {
                    return Err(FilterError::new(
                        pos,
                        format!(
                            "empty parentheses at column {}: put a term inside, or remove them",
                            column(pos)
                        ),
                    ));
                }
                self.depth += 1;
                let inner = self.or()?;
                self.depth -= 1;
                if matches!(self.peek().map(|t| &t.tok), Some(Tok::Close)) {
                    self.next += 1;
                    Ok(inner)
                } else {
                    Err(FilterError::new(
                        pos,
                        format!(
                            "unclosed `(` at column {}: add a `)` to close it",
                            column(pos)
                        ),
                    ))
                }
            }
            Tok::Close => Err(FilterError::new(
                pos,
                format!(
                    "unexpected `)` at column {}: a term was expected here",
                    column(pos)
                ),
            )),
            Tok::Bang => Err(FilterError::new(
                pos,
                format!("unexpected `!` at column {}", column(pos)),
            )),
            Tok::Op(op) => Err(FilterError::new(
                pos,
                format!(
                    "`{}` at column {} needs a field name before it, e.g. state{}fail",
                    op.as_str(),
                    column(pos),
                    op.as_str()
                ),
            )),
            Tok::Word { text, quoted } => {
                if let (false, Some(k @ (Keyword::And | Keyword::Or))) =
                    (quoted, Keyword::of(&text))
                {
                    let joins = if k == Keyword::And { "both" } else { "either" };
                    return Err(FilterError::new(
                        pos,
                        format!(
                            "`{text}` at column {} needs a term before it, e.g. state=busy {text} state=fail \
                             (matches {joins}); to search for the word itself, quote it: \"{text}\"",
                            column(pos)
                        ),
                    ));
                }
                self.next += 1;
                self.term(pos, text, quoted)
            }
        }
    }

    /// A term whose first word, `word` at `pos`, has just been read.
    fn term(&mut self, pos: usize, word: String, quoted: bool) -> Result<Node, FilterError> {
        let Some(&Token {
            tok: Tok::Op(op),
            pos: op_pos,
        }) = self.peek()
        else {
            let needle = Needle::new(&word);
            let known = [
                TextField::State,
                TextField::Type,
                TextField::Direction,
                TextField::Hangup,
            ]
            .map(|field| known_where(field, |name| needle.within(name)));
            let alias = state_alias(&needle.lower)
                .map(|state| known_where(TextField::State, |name| name == state));
            let test = Test::Anywhere {
                known: [known[0] | alias.unwrap_or(0), known[1], known[2], known[3]],
                stages: stages_where(|name| needle.within(name)),
                needle,
            };
            return Ok(Node::Term(Term {
                field: None,
                op: CmpOp::Contains,
                value: word,
                test,
                negate: false,
            }));
        };
        self.next += 1;
        if quoted {
            return Err(FilterError::new(
                pos,
                format!(
                    "quoted text at column {} is followed by `{}`: field names are not quoted \
                     (write carrier=\"AT&T Wireless\"); to search for text with `{}` in it, \
                     quote all of it",
                    column(pos),
                    op.as_str(),
                    op.as_str()
                ),
            ));
        }
        let field = Field::from_name(&word).ok_or_else(|| unknown_field(pos, &word))?;
        let (value, value_pos) = match self.peek() {
            Some(Token {
                tok: Tok::Word { text, .. },
                pos,
            }) => (text.clone(), *pos),
            _ => {
                return Err(FilterError::new(
                    op_pos,
                    format!(
                        "`{}` at column {} needs a value after it, e.g. {}",
                        op.as_str(),
                        column(op_pos),
                        field.example()
                    ),
                ));
            }
        };
        self.next += 1;
        let test = compile(field, op, op_pos, &value, value_pos)?;
        Ok(Node::Term(Term {
            field: Some(field),
            op,
            value,
            test,
            negate: matches!(op, CmpOp::Ne | CmpOp::NotContains),
        }))
    }
}

/// One node for a list of operands of `and` / `or`.
fn join(mut items: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
    if items.len() == 1 {
        items.pop().unwrap_or_default()
    } else {
        make(items)
    }
}

/// The test of `field op value`.
fn compile(
    field: Field,
    op: CmpOp,
    op_pos: usize,
    value: &str,
    value_pos: usize,
) -> Result<Test, FilterError> {
    let lower = lowercase(value);
    match field {
        Field::Text(text_field) => match op {
            CmpOp::Eq | CmpOp::Ne if text_field == TextField::Processing => {
                let kind = processing_kind(&lower).ok_or_else(|| {
                    FilterError::new(
                        value_pos,
                        format!(
                            "`{value}` at column {} is not a processing stage: \
                             use partial, predicted (or predicted-complete) or complete",
                            column(value_pos)
                        ),
                    )
                })?;
                Ok(Test::Processing(1 << stage_index(kind)))
            }
            CmpOp::Contains | CmpOp::NotContains if text_field == TextField::Processing => {
                let needle = Needle::new(&lower);
                Ok(Test::Processing(stages_where(|name| needle.within(name))))
            }
            CmpOp::Eq | CmpOp::Ne | CmpOp::Contains | CmpOp::NotContains => {
                let exact = matches!(op, CmpOp::Eq | CmpOp::Ne);
                let needles: Box<[Needle]> = if exact {
                    equal_spellings(text_field, &lower)
                        .iter()
                        .map(|s| Needle::new(s))
                        .collect()
                } else {
                    Box::new([Needle::new(&lower)])
                };
                if !text_field.is_enum() {
                    return Ok(Test::Text {
                        field: text_field,
                        exact,
                        needles,
                    });
                }
                let known = known_where(text_field, |name| {
                    needles.iter().any(|n| n.matches(name, exact))
                });
                Ok(Test::Enum {
                    field: text_field,
                    known,
                    exact,
                    needles,
                })
            }
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => Err(FilterError::new(
                op_pos,
                format!(
                    "`{}` at column {} compares numbers, but {} is text: use =, != or ~ (e.g. {})",
                    op.as_str(),
                    column(op_pos),
                    field.name(),
                    field.example()
                ),
            )),
        },
        Field::Num(num_field) => {
            let cmp = match op {
                CmpOp::Eq | CmpOp::Ne => NumCmp::Eq,
                CmpOp::Lt => NumCmp::Lt,
                CmpOp::Le => NumCmp::Le,
                CmpOp::Gt => NumCmp::Gt,
                CmpOp::Ge => NumCmp::Ge,
                CmpOp::Contains | CmpOp::NotContains => {
                    return Err(FilterError::new(
                        op_pos,
                        format!(
                            "`{}` at column {} searches text, but {} is a number: \
                             use =, !=, <, <=, > or >= (e.g. {})",
                            op.as_str(),
                            column(op_pos),
                            field.name(),
                            field.example()
                        ),
                    ));
                }
            };
            let value = number(num_field, &lower).ok_or_else(|| {
                let units: Vec<&str> = num_field.units().iter().map(|(u, _)| *u).collect();
                let units = if units.is_empty() {
                    String::new()
                } else {
                    format!(", optionally followed by {}", units.join(" / "))
                };
                FilterError::new(
                    value_pos,
                    format!(
                        "`{value}` at column {} is not a number: {} takes a whole number{units} \
                         (e.g. {})",
                        column(value_pos),
                        field.name(),
                        field.example()
                    ),
                )
            })?;
            Ok(Test::Number {
                field: num_field,
                cmp,
                value,
            })
        }
    }
}

/// The wire values `field=value` accepts for a (lowercase) value: itself, the state it is a
/// friendly name for, `_` typed as `-`, and for `hangup=unknown` Twilio's long name and absence.
fn equal_spellings(field: TextField, lower: &str) -> Vec<String> {
    let mut spellings = vec![lower.to_owned()];
    let mut add = |s: &str| {
        if !spellings.iter().any(|have| have == s) {
            spellings.push(s.to_owned());
        }
    };
    if field == TextField::State {
        if let Some(state) = state_alias(lower) {
            add(state);
        }
    }
    if field == TextField::Hangup && lower == "unknown" {
        add("unknown_disconnected_by");
        add("");
    }
    if field.is_enum() && lower.contains('-') {
        add(&lower.replace('-', "_"));
    }
    spellings
}

/// A whole number with an optional unit of the field (`3s` → 3000 for pdd); decimals are
/// accepted with a unit that makes them whole (`1.5s`).
fn number(field: NumField, lower: &str) -> Option<i64> {
    if let Ok(n) = lower.parse::<i64>() {
        return Some(n);
    }
    field.units().iter().find_map(|&(unit, factor)| {
        let digits = lower.strip_suffix(unit)?.trim_end();
        if let Ok(n) = digits.parse::<i64>() {
            return n.checked_mul(factor);
        }
        // `2.4 * 1000.0` is 2399.999…: round, then insist the value really was whole.
        let x = digits.parse::<f64>().ok()? * factor as f64;
        let whole = x.round();
        (x.is_finite() && (x - whole).abs() < 1e-6 && whole.abs() < 9.0e15).then_some(whole as i64)
    })
}

/// The error for an unknown field name, with a suggestion when one is close.
fn unknown_field(pos: usize, word: &str) -> FilterError {
    let names: Vec<&str> = Filter::FIELDS.iter().map(|(name, _)| *name).collect();
    let list = names.join(", ");
    let message = match did_you_mean(word) {
        Some(name) => format!(
            "unknown field `{word}` at column {}: did you mean `{name}`? Fields are {list}",
            column(pos)
        ),
        None => format!(
            "unknown field `{word}` at column {}: fields are {list} \
             (to search every field for text, leave out the operator)",
            column(pos)
        ),
    };
    FilterError::new(pos, message)
}

/// The field name closest to a misspelled one: one it starts, or one a couple of edits away.
fn did_you_mean(word: &str) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    let names = Filter::FIELDS.iter().map(|(name, _)| *name);
    if word.len() >= 2 {
        if let Some(name) = names.clone().find(|name| name.starts_with(&word)) {
            return Some(name);
        }
    }
    names
        .map(|name| (edit_distance(&word, name), name))
        .filter(|&(d, _)| d <= if word.chars().count() > 4 { 2 } else { 1 })
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::json;

    use super::*;
    use crate::calls::store::CallStore;
    use crate::twilio::cloudevent::SummaryEvent;
    use crate::twilio::summary::CallSummary;

    /// A call record as the store makes it from one event.
    fn record(kind: SummaryKind, data: serde_json::Value) -> CallRecord {
        let summary: CallSummary = serde_json::from_value(data).expect("test summary");
        let event = SummaryEvent::new(
            "EZ0001".into(),
            kind,
            Some("2026-01-01T00:00:00Z".into()),
            &summary,
        );
        let mut store = CallStore::new();
        store.apply(&event, SystemTime::UNIX_EPOCH);
        store.iter().next().cloned().expect("one record")
    }

    /// Four calls that differ in every field, by name.
    fn calls() -> Vec<(&'static str, CallRecord)> {
        vec![
            (
                "busy",
                record(
                    SummaryKind::Complete,
                    json!({
                        "call_sid": "CA11", "call_state": "busy", "call_type": "carrier",
                        "duration": 5,
                        "from": {"caller": "+14155550100", "carrier": "AT&T Wireless"},
                        "to": {"callee": "+442071234567", "carrier": "Vodafone UK"},
                        "tags": [],
                        "properties": {"direction": "outbound_api", "disconnected_by": "callee",
                                       "q850_cause": 17, "last_sip_response_num": 486,
                                       "pdd_ms": 2400}
                    }),
                ),
            ),
            (
                "fail",
                record(
                    SummaryKind::Partial,
                    json!({
                        "call_sid": "CA22", "call_state": "fail", "call_type": "sip",
                        "duration": 0,
                        "from": {"caller": "sip:alice@example.com", "carrier": ""},
                        "to": {"callee": "+4930123456", "carrier": "Deutsche Telekom"},
                        "tags": ["high_pdd"],
                        "properties": {"direction": "inbound",
                                       "disconnected_by": "unknown_disconnected_by",
                                       "q850_cause": 1, "last_sip_response_num": 404}
                    }),
                ),
            ),
            (
                "done",
                record(
                    SummaryKind::PredictedComplete,
                    json!({
                        "call_sid": "CA33", "call_state": "completed", "call_type": "client",
                        "duration": 184,
                        "from": {"caller": "client:bob"},
                        "to": {"callee": "+15105550199", "carrier": "T-Mobile USA, Inc."},
                        "tags": ["high_jitter", "silence"],
                        "properties": {"direction": "outbound_dial", "disconnected_by": "caller",
                                       "q850_cause": 16, "last_sip_response_num": 200,
                                       "pdd_ms": 1200}
                    }),
                ),
            ),
            (
                "noans",
                record(
                    SummaryKind::Complete,
                    json!({
                        "call_sid": "CA44", "call_state": "noanswer", "call_type": "carrier",
                        "duration": 30,
                        "from": {"caller": "+34911234567", "carrier": "Telefónica Móviles"},
                        "to": {"callee": "+14155550123", "carrier": "Twilio"},
                        "tags": ["high_pdd"],
                        "properties": {"direction": "inbound", "q850_cause": 19,
                                       "last_sip_response_num": 480, "pdd_ms": 9000}
                    }),
                ),
            ),
        ]
    }

    fn parse(text: &str) -> Filter {
        Filter::parse(text).unwrap_or_else(|e| panic!("{text:?} did not parse: {e}"))
    }

    #[test]
    fn matches_each_field_operator_and_alias() {
        const ALL: &[&str] = &["busy", "fail", "done", "noans"];
        let cases: &[(&str, &[&str])] = &[
            // state, with friendly spellings
            ("state=busy", &["busy"]),
            ("state=BUSY", &["busy"]),
            ("state=fail", &["fail"]),
            ("state=failed", &["fail"]),
            ("state=no-answer", &["noans"]),
            ("state=noanswer", &["noans"]),
            ("state!=completed", &["busy", "fail", "noans"]),
            ("state~ANS", &["noans"]),
            ("state!~o", &["busy", "fail"]),
            ("call_state=busy", &["busy"]),
            ("state = busy", &["busy"]),
            ("state==busy", &["busy"]),
            // type, direction
            ("type=sip", &["fail"]),
            ("type=carrier", &["busy", "noans"]),
            ("type~cli", &["done"]),
            ("direction=inbound", &["fail", "noans"]),
            ("direction=outbound-api", &["busy"]),
            ("direction~outbound", &["busy", "done"]),
            // carrier: either side
            ("carrier=\"AT&T Wireless\"", &["busy"]),
            ("carrier=\"vodafone uk\"", &["busy"]),
            ("carrier~voda", &["busy"]),
            ("carrier~TELEFÓNICA", &["noans"]),
            ("carrier=\"telefónica móviles\"", &["noans"]),
            ("carrier!=twilio", &["busy", "fail", "done"]),
            ("carrier=\"\"", &["fail", "done"]),
            // from, to
            ("from=+14155550100", &["busy"]),
            ("from~ALICE", &["fail"]),
            ("from=client:bob", &["done"]),
            ("to~+44", &["busy"]),
            ("to_callee=+4930123456", &["fail"]),
            // hangup
            ("hangup=caller", &["done"]),
            ("hangup=callee", &["busy"]),
            ("hangup=unknown", &["fail", "noans"]),
            ("disconnected_by=unknown_disconnected_by", &["fail"]),
            // numbers
            ("q850=17", &["busy"]),
            ("q850>16", &["busy", "noans"]),
            ("q850<=16", &["fail", "done"]),
            ("q850>=17", &["busy", "noans"]),
            ("q850<17", &["fail", "done"]),
            ("q850!=16", &["busy", "fail", "noans"]),
            ("sip=486", &["busy"]),
            ("sip>=400", &["busy", "fail", "noans"]),
            ("sip<300", &["done"]),
            ("pdd>3000", &["noans"]),
            ("pdd<3000", &["busy", "done"]),
            ("pdd>3s", &["noans"]),
            ("pdd>=2.4s", &["busy", "noans"]),
            ("pdd!=1200", &["busy", "fail", "noans"]),
            ("duration>60", &["done"]),
            ("duration=0", &["fail"]),
            ("duration>=1m", &["done"]),
            ("duration<30s", &["busy", "fail"]),
            ("duration>-1", ALL),
            // tag
            ("tag=high_jitter", &["done"]),
            ("tag=HIGH_JITTER", &["done"]),
            ("tag~pdd", &["fail", "noans"]),
            ("tag!=high_pdd", &["busy", "done"]),
            // processing
            ("processing=complete", &["busy", "noans"]),
            ("processing=predicted", &["done"]),
            ("processing=predicted-complete", &["done"]),
            ("processing=partial", &["fail"]),
            ("processing!=complete", &["fail", "done"]),
            ("processing~pred", &["done"]),
            // bare words
            ("busy", &["busy"]),
            ("BUSY", &["busy"]),
            ("vodafone", &["busy"]),
            ("jitter", &["done"]),
            ("failed", &["fail"]),
            ("486", &["busy"]),
            ("alice", &["fail"]),
            ("ca33", &["done"]),
            ("predicted", &["done"]),
            ("\"vodafone uk\"", &["busy"]),
            ("móviles", &["noans"]),
            ("nothing-like-this", &[]),
            // A word never spans two fields.
            ("bob+1510", &[]),
            // combinations
            ("", ALL),
            ("   ", ALL),
            ("state=busy or state=fail", &["busy", "fail"]),
            ("state=fail carrier~telekom", &["fail"]),
            ("state=fail and carrier~voda", &[]),
            ("STATE=busy OR State=fail", &["busy", "fail"]),
            ("!state=completed", &["busy", "fail", "noans"]),
            ("not state=completed", &["busy", "fail", "noans"]),
            ("!!state=busy", &["busy"]),
            ("!(state=busy or state=fail)", &["done", "noans"]),
            ("!state=busy or state=fail", &["fail", "done", "noans"]),
            ("state=busy or state=fail and tag=high_jitter", &["busy"]),
            ("(state=busy or state=fail) and tag~pdd", &["fail"]),
            (
                "state=completed or type=sip and direction=inbound",
                &["fail", "done"],
            ),
            (
                "type=carrier && !tag~pdd || hangup=caller",
                &["busy", "done"],
            ),
        ];
        let calls = calls();
        for &(text, want) in cases {
            let filter = parse(text);
            let got: Vec<&str> = calls
                .iter()
                .filter(|(_, r)| filter.matches(r))
                .map(|(name, _)| *name)
                .collect();
            assert_eq!(got, want, "{text:?} read as {:?}", filter.canonical());
        }
    }

    #[test]
    fn parses_to_the_expected_tree() {
        let cases: &[(&str, &str)] = &[
            ("state=fail", "state=fail"),
            ("STATE=fail", "state=fail"),
            ("q850_cause>30", "q850>30"),
            ("pdd>=3s", "pdd>=3000"),
            ("duration<2m", "duration<120"),
            ("carrier!=x", "carrier!=x"),
            ("tag!~jit", "tag!~jit"),
            ("carrier=\"AT&T Wireless\"", "carrier=\"AT&T Wireless\""),
            (r#""say \"hi\" \\o/""#, r#""say \"hi\" \\o/""#),
            ("\"and\"", "\"and\""),
            ("a or b and c", "(a or (b and c))"),
            ("a and b or c", "((a and b) or c)"),
            ("a b c", "(a and b and c)"),
            ("a b or c d", "((a and b) or (c and d))"),
            ("a or b or c", "(a or b or c)"),
            ("!a and b", "(!a and b)"),
            ("!a or b", "(!a or b)"),
            ("a !b", "(a and !b)"),
            ("not a", "!a"),
            ("NOT a AND b", "(!a and b)"),
            ("!!a", "a"),
            ("!!!a", "!a"),
            ("!(a or b) c", "(!(a or b) and c)"),
            ("(a or b) and c", "((a or b) and c)"),
            ("((a))", "a"),
            ("a && b || c", "((a and b) or c)"),
            ("(state=busy)(state=fail)", "(state=busy and state=fail)"),
            ("", ""),
        ];
        for &(text, want) in cases {
            let filter = parse(text);
            assert_eq!(filter.canonical(), want, "{text:?}");
            assert_eq!(filter.text(), text);
            // What canonical() writes reads back as the same tree.
            assert_eq!(
                parse(&filter.canonical()).canonical(),
                want,
                "{text:?} round trip"
            );
        }
        assert!(parse("  ").is_match_all());
        assert!(!parse("a").is_match_all());
        assert!(Filter::default().is_match_all());
    }

    #[test]
    fn errors_say_where_and_what_to_do() {
        let deep = "(".repeat(MAX_DEPTH + 1) + "a" + &")".repeat(MAX_DEPTH + 1);
        let cases: &[(&str, usize, &[&str])] = &[
            (
                "carier=x",
                0,
                &[
                    "unknown field `carier` at column 1",
                    "did you mean `carrier`?",
                    "state, type, direction, carrier",
                ],
            ),
            ("stat=fail", 0, &["did you mean `state`?"]),
            ("dur>5", 0, &["did you mean `duration`?"]),
            (
                "busy state=fail foo=1",
                16,
                &["unknown field `foo` at column 17: fields are"],
            ),
            (
                "q850=abc",
                5,
                &[
                    "`abc` at column 6 is not a number",
                    "q850 takes a whole number",
                ],
            ),
            ("pdd>3x", 4, &["is not a number", "ms / s"]),
            ("sip>99999999999999999999", 4, &["is not a number"]),
            ("(state=fail", 0, &["unclosed `(` at column 1"]),
            ("a ((b) or c", 2, &["unclosed `(` at column 3"]),
            (
                "state=fail)",
                10,
                &["unexpected `)` at column 11: there is no `(` to close"],
            ),
            (
                "state=fail and",
                11,
                &["`and` at column 12 needs a term after it"],
            ),
            (
                "state=fail or",
                11,
                &["`or` at column 12 needs a term after it"],
            ),
            (
                "a and or b",
                2,
                &["`and` at column 3 needs a term after it"],
            ),
            ("(a or) b", 3, &["`or` at column 4 needs a term after it"]),
            (
                "or state=fail",
                0,
                &["`or` at column 1 needs a term before it"],
            ),
            ("and a", 0, &["`and` at column 1 needs a term before it"]),
            (
                "state=",
                5,
                &["`=` at column 6 needs a value after it, e.g. state=fail"],
            ),
            (
                "pdd> ",
                3,
                &["`>` at column 4 needs a value after it, e.g. pdd>3000"],
            ),
            ("state=(a)", 5, &["needs a value"]),
            (
                "=fail",
                0,
                &["`=` at column 1 needs a field name before it"],
            ),
            ("!", 0, &["`!` at column 1 needs a term after it"]),
            (
                "state=fail !",
                11,
                &["`!` at column 12 needs a term after it"],
            ),
            ("not", 0, &["`not` at column 1 needs a term after it"]),
            ("carrier=\"AT&T", 8, &["unclosed `\"` at column 9"]),
            ("()", 0, &["empty parentheses at column 1"]),
            (
                "state>3",
                5,
                &["`>` at column 6 compares numbers, but state is text"],
            ),
            (
                "q850~1",
                4,
                &["`~` at column 5 searches text, but q850 is a number"],
            ),
            (
                "processing=done",
                11,
                &["`done` at column 12 is not a processing stage"],
            ),
            ("state=fail=x", 10, &["unexpected `=` at column 11"]),
            ("\"state\"=fail", 0, &["field names are not quoted"]),
            // Positions count characters, not bytes.
            ("from=\"né\" )", 10, &["column 11"]),
            (&deep, MAX_DEPTH, &["nest at most 64 deep"]),
        ];
        for &(text, position, needles) in cases {
            let err = match Filter::parse(text) {
                Ok(f) => panic!("{text:?} parsed as {:?}", f.canonical()),
                Err(e) => e,
            };
            assert_eq!(err.position, position, "{text:?}: {}", err.message);
            for needle in needles {
                assert!(
                    err.message.contains(needle),
                    "{text:?}: {:?} lacks {needle:?}",
                    err.message
                );
            }
            assert_eq!(err.to_string(), err.message);
        }
    }

    #[test]
    fn pointer_puts_the_caret_under_the_error() {
        let err = Filter::parse("state=busy carier=x").expect_err("bad field");
        assert_eq!(
            err.pointer("state=busy carier=x"),
            "  state=busy carier=x\n             ^"
        );
        let err = Filter::parse("a and").expect_err("dangling");
        assert_eq!(err.pointer("a and"), "  a and\n    ^");
        let err = Filter::parse("\tfoo=1").expect_err("bad field");
        assert_eq!(err.pointer("\tfoo=1"), "   foo=1\n   ^");
    }

    #[test]
    fn every_listed_field_is_accepted_and_named_back() {
        assert_eq!(Filter::FIELDS.len(), 13);
        for (name, help) in Filter::FIELDS {
            let field = Field::from_name(name).unwrap_or_else(|| panic!("{name} not accepted"));
            assert_eq!(field.name(), *name);
            assert!(!help.is_empty());
            // The example every message offers parses.
            parse(field.example());
            let upper = name.to_ascii_uppercase();
            assert_eq!(Field::from_name(&upper), Some(field));
        }
    }

    #[test]
    fn text_search_helpers() {
        assert!(ascii_contains(b"Vodafone UK", b"fone u"));
        assert!(ascii_contains(b"abc", b""));
        assert!(!ascii_contains(b"ab", b"abc"));
        assert!(ascii_contains(b"xxAB", b"ab"));
        let mut buf = [0u8; 20];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(486, &mut buf), b"486");
        assert_eq!(decimal(-17, &mut buf), b"-17");
        assert_eq!(decimal(i64::MIN, &mut buf), b"-9223372036854775808");
        assert_eq!(did_you_mean("xyz"), None);
        assert_eq!(did_you_mean("procesing"), Some("processing"));
    }

    #[test]
    fn filter_sees_the_merged_summary() {
        let event = |id: &str, kind, carrier: &str| {
            SummaryEvent::new(
                id.into(),
                kind,
                Some("2026-01-01T00:00:00Z".into()),
                &serde_json::from_value(json!({
                    "call_sid": "CA1", "call_state": "ringing", "from": {"carrier": carrier}
                }))
                .expect("summary"),
            )
        };
        let mut store = CallStore::new();
        store.apply(
            &event("EZ1", SummaryKind::Partial, "Old Telecom"),
            SystemTime::now(),
        );
        store.apply(
            &event("EZ2", SummaryKind::Complete, "New Mobile"),
            SystemTime::now(),
        );
        // A late partial loses the merge and must not bring its text back.
        store.apply(
            &event("EZ3", SummaryKind::Partial, "Old Telecom"),
            SystemTime::now(),
        );
        let record = store.get("CA1").expect("call");
        assert!(parse("carrier~new processing=complete").matches(record));
        assert!(!parse("carrier~old").matches(record));
        assert!(!parse("telecom").matches(record));
    }

    #[test]
    fn unknown_and_absent_enum_values_match_as_text() {
        let odd = record(
            SummaryKind::Partial,
            json!({"call_sid": "CA9", "call_state": "Exploded", "call_type": "fax",
                   "properties": {"direction": "sideways"}}),
        );
        let cases: &[(&str, bool)] = &[
            ("state=exploded", true),
            ("state~PLOD", true),
            ("state!=exploded", false),
            ("state=fail", false),
            ("type=fax", true),
            ("type=carrier", false),
            ("direction~side", true),
            ("exploded", true),
            ("sideways", true),
            // No disconnected_by at all: absent counts as unknown.
            ("hangup=unknown", true),
            ("hangup=caller", false),
            ("pdd>0", false),
            ("pdd<0", false),
            ("duration=0", false),
            ("q850=0", true),
        ];
        for &(text, want) in cases {
            assert_eq!(parse(text).matches(&odd), want, "{text}");
        }
        let search = &odd.search;
        assert_eq!(search.codes, [UNKNOWN_CODE; 4]);
        assert_eq!(search.number(NumField::Pdd), None);
        assert_eq!(search.number(NumField::Q850), Some(0));
    }

    #[test]
    fn search_text_signature_never_says_no_wrongly() {
        let summary: CallSummary = serde_json::from_value(json!({
            "call_sid": "CA11",
            "call_state": "busy",
            "from": {"caller": "+1415", "carrier": "AT&T"},
            "to": {"callee": "client:Bob", "carrier": "Telefónica"},
            "tags": ["High_Jitter", "silence"],
            "duration": 7,
        }))
        .expect("summary");
        let search = crate::calls::search::SearchText::of(
            &crate::twilio::summary_core::SummaryCore::from(&summary),
        );
        // Every piece of every text field, in any case, may be contained.
        for text in [
            "CA11",
            "at&t",
            "AT",
            "TELEFÓ",
            "nica",
            "+1415",
            "Client:BOB",
            "jitter",
            "ence",
            "a",
            "",
        ] {
            assert!(search.may_contain(&Needle::new(text).pairs), "{text}");
        }
        // Text it lacks mostly is not: these pairs happen to be absent.
        for text in ["vodafone", "xyzzy"] {
            assert!(!search.may_contain(&Needle::new(text).pairs), "{text}");
        }
        assert_eq!(search.codes[0], code(CallState::KNOWN, &CallState::Busy));
        assert_eq!(search.number(NumField::Duration), Some(7));
        assert_eq!(search.number(NumField::Pdd), None);
        // A final sigma lowercases the same way in needles and signatures.
        let greek: CallSummary =
            serde_json::from_value(json!({"from": {"carrier": "ΟΔΟΣ"}})).expect("summary");
        let record = |summary: CallSummary| {
            let mut store = CallStore::new();
            let event = SummaryEvent::new("EZ1".into(), SummaryKind::Complete, None, &summary);
            store.apply(&event, SystemTime::UNIX_EPOCH);
            store.iter().next().cloned().expect("record")
        };
        let greek = record(greek);
        assert!(parse("carrier=οδοσ").matches(&greek));
        assert!(parse("carrier~ΔΟΣ").matches(&greek));
    }

    #[test]
    fn filter_is_cheap_to_share() {
        fn send_sync_clone<T: Send + Sync + Clone + fmt::Debug>() {}
        send_sync_clone::<Filter>();
        let f = parse("state=busy");
        assert_eq!(f.clone(), f);
        assert_eq!(f.to_string(), "state=busy");
    }
}
