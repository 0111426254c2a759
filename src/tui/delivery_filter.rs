//! The deliveries view's own filter (`/` in that view): `verdict!=ok`, `status>=400`,
//! `path~hook`, `type=complete`, `sid=CA…`, or bare words, joined by `and`, `or`, `!` and
//! parentheses as in the calls filter, whose lexer it reads with
//! ([`crate::calls::filter::lexer`]). Refused deliveries no longer hide among the 200s.
//!
//! | field | operators | matches |
//! |---|---|---|
//! | `verdict` | `=` `!=` | a verdict name of the ndjson contract (`ok`, `bad_signature`, …) |
//! | `status` | `=` `!=` `>` `>=` `<` `<=` | the HTTP status answered |
//! | `path` | `=` `!=` `~` `!~` | the request path |
//! | `type` | `=` `!=` `~` `!~` | an event type, whole or short (`complete`, `progress`, `test`) |
//! | `sid` | `=` `!=` `~` `!~` | a call SID the delivery is about |
//! | `url` | `=` `!=` `~` `!~` | the URL a refused signature was proven to be made for (`url~://`: any) |
//!
//! A bare word matches a delivery whose verdict, path, event types or call SIDs contain it.

use crate::calls::filter::FilterError;
use crate::calls::filter::lexer::{CmpOp, Keyword, Tok, Token, column, lex};
use crate::ingest::Delivery;
#[cfg(test)]
use crate::ingest::DeliveryVerdict;

/// The verdict names of the ndjson contract ([`DeliveryVerdict::as_str`]).
pub const VERDICT_NAMES: &[&str] = &[
    "ok",
    "duplicate",
    "too_old",
    "bad_signature",
    "bad_body_hash",
    "missing_signature",
    "malformed",
    "too_large",
    "method_not_allowed",
    "wrong_path",
    "not_recorded",
];

/// The fields, with a one-line help for the help overlay and the README.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "verdict",
        "= or != a verdict: ok, duplicate, bad_signature, wrong_path, …",
    ),
    (
        "status",
        "the status answered: = != > >= < <= (status>=400)",
    ),
    ("path", "the request path: = != ~ !~"),
    (
        "type",
        "an event type, whole or short (complete, progress, test): = != ~ !~",
    ),
    ("sid", "a call SID the delivery is about: = != ~ !~"),
    (
        "url",
        "the URL a refused signature was made for (url~:// any): = != ~ !~",
    ),
];

/// Parentheses nested deeper than this are refused: parsing and matching recurse.
const MAX_DEPTH: usize = 32;

/// A parsed deliveries filter: the text typed and the tree [`Self::matches`] walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFilter {
    text: String,
    root: Node,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    All,
    Term(Term),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// `verdict=name` (`negate` for `!=`).
    Verdict { name: &'static str, negate: bool },
    /// `status op N`.
    Status { op: CmpOp, value: u16 },
    /// `path`, `type` or `sid` with `=`, `!=`, `~`, `!~`; the value lowercased.
    Text {
        field: TextField,
        op: CmpOp,
        value: String,
    },
    /// A bare word: any of verdict, path, event types, call SIDs contains it (lowercased).
    Word(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextField {
    Path,
    Type,
    Sid,
    Url,
}

impl DeliveryFilter {
    /// Reads an expression; blank text matches every delivery.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            end: text.chars().count(),
            depth: 0,
        };
        let root = if parser.tokens.is_empty() {
            Node::All
        } else {
            let node = parser.or()?;
            if let Some(token) = parser.peek() {
                return Err(FilterError::new(
                    token.pos,
                    format!(
                        "unexpected {} at column {}",
                        describe(&token.tok),
                        column(token.pos)
                    ),
                ));
            }
            node
        };
        Ok(Self {
            text: text.trim().to_owned(),
            root,
        })
    }

    /// The expression as typed (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when `delivery` passes.
    pub fn matches(&self, delivery: &Delivery) -> bool {
        self.root.matches(delivery)
    }
}

impl Node {
    fn matches(&self, d: &Delivery) -> bool {
        match self {
            Self::All => true,
            Self::Term(term) => term.matches(d),
            Self::Not(node) => !node.matches(d),
            Self::And(nodes) => nodes.iter().all(|n| n.matches(d)),
            Self::Or(nodes) => nodes.iter().any(|n| n.matches(d)),
        }
    }
}

impl Term {
    fn matches(&self, d: &Delivery) -> bool {
        match self {
            Self::Verdict { name, negate } => (d.verdict.as_str() == *name) != *negate,
            Self::Status { op, value } => {
                let (a, b) = (d.status, *value);
                match op {
                    CmpOp::Eq => a == b,
                    CmpOp::Ne => a != b,
                    CmpOp::Gt => a > b,
                    CmpOp::Ge => a >= b,
                    CmpOp::Lt => a < b,
                    CmpOp::Le => a <= b,
                    CmpOp::Contains | CmpOp::NotContains => false,
                }
            }
            Self::Text { field, op, value } => {
                let one = |candidate: &str| -> bool {
                    match op {
                        CmpOp::Eq | CmpOp::Ne => candidate.eq_ignore_ascii_case(value),
                        _ => contains_ignoring_case(candidate, value),
                    }
                };
                let any = match field {
                    TextField::Path => one(&d.path),
                    TextField::Type => d.event_types.iter().any(|t| one(t) || one(short_type(t))),
                    TextField::Sid => d.call_sids.iter().any(|s| one(s)),
                    TextField::Url => d
                        .diagnosis
                        .as_ref()
                        .and_then(|diag| diag.matched_url.as_deref())
                        .is_some_and(one),
                };
                match op {
                    CmpOp::Ne | CmpOp::NotContains => !any,
                    _ => any,
                }
            }
            Self::Word(word) => {
                contains_ignoring_case(d.verdict.as_str(), word)
                    || contains_ignoring_case(&d.path, word)
                    || d.event_types
                        .iter()
                        .any(|t| contains_ignoring_case(t, word))
                    || d.call_sids.iter().any(|s| contains_ignoring_case(s, word))
            }
        }
    }
}

/// True when `haystack` contains `needle` (already lowercased), ignoring case.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(needle)
}

/// `com.twilio.voice.insights.call-summary.complete` → `complete`; test events → `test`; the
/// live types → `progress`, `sdk-event`, `metrics`, `sdk-metrics` (as `send --event` names them).
pub fn short_type(event_type: &str) -> &str {
    if event_type == crate::twilio::cloudevent::TEST_EVENT_TYPE {
        return "test";
    }
    if let Some(kind) = crate::twilio::live::LiveKind::from_event_type(event_type) {
        return kind.label();
    }
    event_type
        .strip_prefix("com.twilio.voice.insights.call-summary.")
        .unwrap_or(event_type)
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::Bang => "`!`".into(),
        Tok::Op(op) => format!("`{}`", op.as_str()),
        Tok::Word { text, .. } => format!("`{text}`"),
    }
}

/// Recursive descent: `!` binds tightest, then `and` (also between two terms side by side),
/// then `or`.
struct Parser {
    tokens: Vec<Token>,
    next: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn keyword(&self) -> Option<Keyword> {
        match &self.peek()?.tok {
            Tok::Word {
                text,
                quoted: false,
            } => Keyword::of(text),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        let mut nodes = vec![self.and()?];
        while self.keyword() == Some(Keyword::Or) {
            self.next += 1;
            nodes.push(self.and()?);
        }
        Ok(if nodes.len() == 1 {
            nodes.remove(0)
        } else {
            Node::Or(nodes)
        })
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut nodes = vec![self.unary()?];
        loop {
            match self.keyword() {
                Some(Keyword::And) => {
                    self.next += 1;
                    nodes.push(self.unary()?);
                }
                Some(Keyword::Or) => break,
                _ => match self.peek().map(|t| &t.tok) {
                    None | Some(Tok::Close) => break,
                    Some(_) => nodes.push(self.unary()?),
                },
            }
        }
        Ok(if nodes.len() == 1 {
            nodes.remove(0)
        } else {
            Node::And(nodes)
        })
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        let negate = matches!(self.peek().map(|t| &t.tok), Some(Tok::Bang))
            || self.keyword() == Some(Keyword::Not);
        if negate {
            let pos = self.peek().map_or(self.end, |t| t.pos);
            if self.depth >= MAX_DEPTH {
                return Err(FilterError::new(
                    pos,
                    format!("negations nested deeper than {MAX_DEPTH}"),
                ));
            }
            self.next += 1;
            self.depth += 1;
            let node = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(node)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::new(
                self.end,
                format!(
                    "the expression ends early at column {}: a term is missing, e.g. verdict!=ok",
                    column(self.end)
                ),
            ));
        };
        self.next += 1;
        match token.tok {
            Tok::Open => {
                if self.depth >= MAX_DEPTH {
                    return Err(FilterError::new(
                        token.pos,
                        format!("parentheses nested deeper than {MAX_DEPTH}"),
                    ));
                }
                self.depth += 1;
                let node = self.or()?;
                self.depth -= 1;
                match self.peek() {
                    Some(Token {
                        tok: Tok::Close, ..
                    }) => {
                        self.next += 1;
                        Ok(node)
                    }
                    _ => Err(FilterError::new(
                        token.pos,
                        format!("the `(` at column {} is never closed", column(token.pos)),
                    )),
                }
            }
            Tok::Word { text, quoted } => {
                if let Some(Token {
                    tok: Tok::Op(op),
                    pos,
                }) = self.peek().cloned()
                {
                    self.next += 1;
                    let value = match self.peek().cloned() {
                        Some(Token {
                            tok: Tok::Word { text, .. },
                            ..
                        }) => {
                            self.next += 1;
                            text
                        }
                        _ => {
                            return Err(FilterError::new(
                                pos + op.as_str().len(),
                                format!(
                                    "`{text}{}` needs a value after it, at column {}",
                                    op.as_str(),
                                    column(pos + op.as_str().len())
                                ),
                            ));
                        }
                    };
                    return term(&text, token.pos, op, &value).map(Node::Term);
                }
                if !quoted && Keyword::of(&text).is_some() {
                    return Err(FilterError::new(
                        token.pos,
                        format!(
                            "`{text}` at column {} joins two terms: a term is missing",
                            column(token.pos)
                        ),
                    ));
                }
                Ok(Node::Term(Term::Word(text.to_lowercase())))
            }
            other => Err(FilterError::new(
                token.pos,
                format!(
                    "unexpected {} at column {}: a term goes here, e.g. status>=400",
                    describe(&other),
                    column(token.pos)
                ),
            )),
        }
    }
}

/// One `field op value` term, checked.
fn term(field: &str, pos: usize, op: CmpOp, value: &str) -> Result<Term, FilterError> {
    let bad_op = |allowed: &str| {
        FilterError::new(
            pos,
            format!(
                "`{field}` takes {allowed}, not `{}` (column {})",
                op.as_str(),
                column(pos)
            ),
        )
    };
    match field.to_ascii_lowercase().as_str() {
        "verdict" => {
            let negate = match op {
                CmpOp::Eq => false,
                CmpOp::Ne => true,
                _ => return Err(bad_op("= or !=")),
            };
            let lower = value.to_ascii_lowercase();
            let name = VERDICT_NAMES.iter().find(|n| **n == lower).ok_or_else(|| {
                FilterError::new(
                    pos,
                    format!(
                        "no verdict is called `{value}`: one of {}",
                        VERDICT_NAMES.join(", ")
                    ),
                )
            })?;
            Ok(Term::Verdict { name, negate })
        }
        "status" => {
            if matches!(op, CmpOp::Contains | CmpOp::NotContains) {
                return Err(bad_op("= != > >= < <="));
            }
            let value = value.parse::<u16>().map_err(|_| {
                FilterError::new(
                    pos,
                    format!("`status` compares with a number such as 400, not `{value}`"),
                )
            })?;
            Ok(Term::Status { op, value })
        }
        name @ ("path" | "type" | "sid" | "url") => {
            if !matches!(
                op,
                CmpOp::Eq | CmpOp::Ne | CmpOp::Contains | CmpOp::NotContains
            ) {
                return Err(bad_op("= != ~ !~"));
            }
            let field = match name {
                "path" => TextField::Path,
                "type" => TextField::Type,
                "sid" => TextField::Sid,
                _ => TextField::Url,
            };
            Ok(Term::Text {
                field,
                op,
                value: value.to_lowercase(),
            })
        }
        _ => Err(FilterError::new(
            pos,
            format!(
                "unknown field `{field}` at column {}: the deliveries view filters on {}",
                column(pos),
                FIELDS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn delivery(status: u16, verdict: DeliveryVerdict, path: &str) -> Delivery {
        let mut d = Delivery::accepted(1, UNIX_EPOCH, Vec::new());
        d.status = status;
        d.verdict = verdict;
        d.path = path.into();
        d
    }

    /// A small log: one of each shape the view shows.
    fn log() -> Vec<Delivery> {
        let mut ok = delivery(200, DeliveryVerdict::Ok, "/events");
        ok.event_types = vec![crate::twilio::cloudevent::COMPLETE_TYPE.into()];
        ok.call_sids = vec!["CA0123456789abcdef0123456789abcdef".into()];
        let mut progress = delivery(200, DeliveryVerdict::Duplicate, "/events");
        progress.event_types = vec!["com.twilio.voice.insights.call-event.gateway".into()];
        progress.call_sids = vec!["CAfedcba9876543210fedcba9876543210".into()];
        let mut refused = delivery(403, DeliveryVerdict::BadSignature, "/events");
        refused.diagnosis = Some(crate::ingest::diagnosis::Diagnosis {
            reason: String::new(),
            tried_urls: Vec::new(),
            received_signature: None,
            hint: String::new(),
            seen_url: None,
            matched_url: Some("http://localhost:8080/events".into()),
        });
        let wrong_path = delivery(404, DeliveryVerdict::WrongPath, "/webhook");
        let mut not_recorded = delivery(503, DeliveryVerdict::NotRecorded, "/events");
        not_recorded.event_types = vec![crate::twilio::cloudevent::TEST_EVENT_TYPE.into()];
        vec![ok, progress, refused, wrong_path, not_recorded]
    }

    /// The statuses of the deliveries `expr` lets through.
    fn statuses(expr: &str) -> Vec<u16> {
        let filter = DeliveryFilter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        log()
            .iter()
            .filter(|d| filter.matches(d))
            .map(|d| d.status)
            .collect()
    }

    #[test]
    fn each_field_and_operator_picks_its_deliveries() {
        let cases: &[(&str, &[u16])] = &[
            ("", &[200, 200, 403, 404, 503]),
            ("verdict=ok", &[200]),
            ("verdict!=ok", &[200, 403, 404, 503]),
            ("VERDICT=Bad_Signature", &[403]),
            ("verdict=wrong_path", &[404]),
            ("status>=400", &[403, 404, 503]),
            ("status>403", &[404, 503]),
            ("status<=403", &[200, 200, 403]),
            ("status<404", &[200, 200, 403]),
            ("status=404", &[404]),
            ("status!=200", &[403, 404, 503]),
            ("path=/webhook", &[404]),
            ("path!=/events", &[404]),
            ("path~hook", &[404]),
            ("path!~event", &[404]),
            ("type=complete", &[200]),
            (
                "type=com.twilio.voice.insights.call-summary.complete",
                &[200],
            ),
            ("type=progress", &[200]),
            ("type=test", &[503]),
            ("type~call-event", &[200]),
            ("type!=complete", &[200, 403, 404, 503]),
            ("sid=CA0123456789ABCDEF0123456789ABCDEF", &[200]),
            ("sid~fedcba", &[200]),
            ("sid!~fedcba", &[200, 403, 404, 503]),
            ("url~://", &[403]),
            ("url=HTTP://localhost:8080/events", &[403]),
            ("url!~localhost", &[200, 200, 404, 503]),
            ("signature", &[403]),
            ("webhook", &[404]),
        ];
        for (expr, want) in cases {
            assert_eq!(statuses(expr), *want, "{expr}");
        }
        // The two 200s are told apart by their verdicts.
        let f = DeliveryFilter::parse("status=200 verdict=duplicate").expect("parses");
        let picked: Vec<_> = log().into_iter().filter(|d| f.matches(d)).collect();
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].verdict, DeliveryVerdict::Duplicate);
    }

    #[test]
    fn joins_negations_and_groups() {
        assert_eq!(statuses("status>=400 and !verdict=wrong_path"), [403, 503]);
        assert_eq!(statuses("verdict=ok or path=/webhook"), [200, 404]);
        assert_eq!(statuses("not (status=200 or status=503)"), [403, 404]);
        assert_eq!(statuses("status>=400 path=/events"), [403, 503]);
        assert_eq!(
            statuses("status=200 or status=403 status>=400"),
            [200, 200, 403]
        );
    }

    #[test]
    fn bad_expressions_say_what_is_wrong_and_where() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "verdict=fine",
                0,
                "no verdict is called `fine`: one of ok, duplicate",
            ),
            ("verdict>ok", 0, "`verdict` takes = or !=, not `>`"),
            (
                "status>=abc",
                0,
                "compares with a number such as 400, not `abc`",
            ),
            ("status~40", 0, "`status` takes = != > >= < <=, not `~`"),
            ("path>3", 0, "`path` takes = != ~ !~, not `>`"),
            ("carrier=x", 0, "unknown field `carrier` at column 1"),
            ("status>=", 8, "needs a value after it, at column 9"),
            ("(verdict=ok", 0, "the `(` at column 1 is never closed"),
            ("verdict=ok)", 10, "unexpected `)` at column 11"),
            ("verdict=ok and", 14, "ends early at column 15"),
            ("or verdict=ok", 0, "joins two terms"),
            ("path=\"/ev", 5, "unclosed `\"` at column 6"),
        ];
        for (expr, position, message) in cases {
            let err = DeliveryFilter::parse(expr).expect_err(expr);
            assert!(
                err.message.contains(message),
                "{expr}: {:?} does not say {message:?}",
                err.message
            );
            assert_eq!(err.position, *position, "{expr}: {}", err.message);
        }
    }

    #[test]
    fn the_verdict_names_are_the_contracts() {
        for name in VERDICT_NAMES {
            let verdict = DeliveryVerdict::from_name(name, None).expect(name);
            assert_eq!(verdict.as_str(), *name);
        }
        assert_eq!(VERDICT_NAMES.len(), 11);
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let expr = format!("{}status=200{}", "(".repeat(1000), ")".repeat(1000));
        let err = DeliveryFilter::parse(&expr).expect_err("too deep");
        assert!(err.message.contains("nested deeper"), "{}", err.message);
        let expr = format!("{}status=200", "!".repeat(100_000));
        let err = DeliveryFilter::parse(&expr).expect_err("too deep");
        assert!(err.message.contains("nested deeper"), "{}", err.message);
    }
}
