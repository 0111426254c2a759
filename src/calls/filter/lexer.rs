//! Splits an expression into tokens: parentheses, `!`, the comparison operators, and words
//! (quoted ones with `\"` and `\\` unescaped), each with its position in characters for
//! error messages. Also the few rules of what reads back as one word.

use super::FilterError;

/// A comparison operator as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
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
    pub(crate) fn as_str(self) -> &'static str {
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

/// A token: a parenthesis, `!`, an operator or a word.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Open,
    Close,
    Bang,
    Op(CmpOp),
    Word { text: String, quoted: bool },
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    /// Character offset of its first character.
    pub(crate) pos: usize,
}

/// Unquoted words that join or negate terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
}

impl Keyword {
    pub(crate) fn of(word: &str) -> Option<Self> {
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
pub(crate) fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '!' | '=' | '~' | '<' | '>' | '"')
}

/// 1-based column of a character offset, for messages.
pub(crate) fn column(pos: usize) -> usize {
    pos + 1
}

/// Splits an expression into tokens; only an unclosed quote is an error here.
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
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
