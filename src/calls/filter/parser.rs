//! Reads the tokens into the expression tree by recursive descent, following the grammar in
//! the doc of [`filter`](super): `!` binds tightest, then `and` (also implied between two terms
//! side by side), then `or`. Each error says where it is, in characters, and what to write.

use super::FilterError;
use super::compile::{alone, bare_word, compile, unknown_field};
use super::fields::Field;
use super::lexer::{CmpOp, Keyword, Tok, Token, column, lex};
use super::matcher::{Node, Term};

/// Parentheses nested deeper than this are refused: parsing and matching recurse.
const MAX_DEPTH: usize = 64;

/// Reads an expression into the tree that matching walks; blank text gives [`Node::All`].
pub(super) fn parse(text: &str) -> Result<Node, FilterError> {
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        end: text.chars().count(),
        depth: 0,
    };
    parser.expression()
}

/// Recursive descent over the tokens; see the grammar in the doc of [`filter`](super).
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
            if let Some(field) = Field::alone(&word).filter(|_| !quoted) {
                return Ok(Node::Term(Term {
                    field: Some(field),
                    op: CmpOp::Eq,
                    value: String::new(),
                    test: alone(field),
                    negate: false,
                }));
            }
            let test = bare_word(&word);
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

#[cfg(test)]
mod tests {
    use super::super::tests::parse;
    use super::*;
    use crate::calls::filter::Filter;

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
            ("mos<3.5", "mos<3.5"),
            ("mos>=4", "mos>=4"),
            ("jitter>30ms", "jitter>30"),
            ("jitter>=0.5s", "jitter>=500"),
            ("jitter_ms>12.5", "jitter>12.5"),
            ("loss>1%", "loss>1"),
            ("loss>0.5", "loss>0.5"),
            ("rtt>400ms", "rtt>400"),
            ("rtt<1.2s", "rtt<1200"),
            ("live", "live"),
            ("LIVE", "live"),
            ("!live", "!live"),
            ("not live", "!live"),
            ("live=yes", "live=true"),
            ("live!=no", "live!=false"),
            ("live=0", "live=false"),
            ("\"live\"", "\"live\""),
            ("warning", "warning"),
            ("warnings=high-jitter", "warning=high-jitter"),
            ("warning~mos", "warning~mos"),
            ("error", "error"),
            ("\"error\" \"warning\"", "(\"error\" and \"warning\")"),
            ("error=31005", "error=31005"),
            ("errors>=31000", "error>=31000"),
            ("error~ice", "error~ice"),
            ("live mos<3.5 or warning", "((live and mos<3.5) or warning)"),
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
            (
                "mos>3ms",
                4,
                &[
                    "`3ms` at column 5 has the unit `ms`, which mos does not take",
                    "mos takes a number without a unit (e.g. mos<3.5)",
                ],
            ),
            (
                "loss>1ms",
                5,
                &[
                    "`1ms` at column 6 has the unit `ms`, which loss does not take",
                    "optionally followed by % (e.g. loss>1%)",
                ],
            ),
            (
                "live jitter>30%",
                12,
                &["`30%` at column 13 has the unit `%`", "ms / s"],
            ),
            ("rtt>2min", 4, &["has the unit `min`", "rtt takes"]),
            ("jitter>fast", 7, &["`fast` at column 8 is not a number"]),
            ("mos>inf", 4, &["is not a number"]),
            ("mos>NaN", 4, &["is not a number"]),
            ("loss>%", 5, &["is not a number"]),
            ("mos>1.2.3", 4, &["is not a number"]),
            (
                "jitter~3",
                6,
                &["`~` at column 7 searches text, but jitter is a number"],
            ),
            (
                "live>1",
                4,
                &["`>` at column 5: live is true or false", "live=false"],
            ),
            (
                "live=maybe",
                5,
                &["`maybe` at column 6 is not true or false"],
            ),
            ("live~t", 4, &["live is true or false"]),
            (
                "warning>2",
                7,
                &["`>` at column 8 compares numbers, but warning is text"],
            ),
            (
                "error=abc",
                6,
                &["`abc` at column 7 is not an error code", "error~text"],
            ),
            ("error>3.5", 6, &["is not an error code"]),
            ("jiter>3", 0, &["did you mean `jitter`?"]),
            ("warn=x", 0, &["did you mean `warning`?"]),
            ("mo<3", 0, &["did you mean `mos`?"]),
            ("lve=true", 0, &["did you mean `live`?"]),
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
}
