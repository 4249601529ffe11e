//! Lexer and parser for XLSForm expressions: XPath 1.0 as ODK uses it, plus `${name}`.
//!
//! The parser accepts the whole XPath 1.0 grammar (location paths, predicates, unions,
//! `instance('x')/root/item[...]`) because real forms use all of it in choice filters and
//! calculations; the evaluator then gives meaning to the parts our clients support.

use std::fmt;

/// A parse failure, with the byte offset where it was noticed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {})", offset + 1)]
pub struct ParseError {
    /// What was expected or found.
    pub message: String,
    /// Byte offset in the expression.
    pub offset: usize,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
    /// `|` (node-set union)
    Union,
}

/// The axis of a location step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// `name` or `child::name`
    Child,
    /// `..`
    Parent,
    /// `.`
    SelfNode,
    /// `@name`
    Attribute,
    /// The `//` shorthand.
    DescendantOrSelf,
    /// Any other named axis (`ancestor::`, ...), kept by name.
    Other,
}

/// One step of a location path.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The axis.
    pub axis: Axis,
    /// The name test (`*`, `name`, `prefix:name`, `node()`, `text()`).
    pub name: String,
    /// Predicates in `[...]`.
    pub predicates: Vec<Expr>,
}

/// Where a location path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStart {
    /// `/...`: the document root.
    Root,
    /// A relative path: the context node.
    Context,
    /// A filter expression: `instance('x')/...`, `current()/..`, `${q}/..`.
    Expr(Box<Expr>),
}

/// An expression tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal.
    Number(f64),
    /// A string literal.
    Literal(String),
    /// `${name}` or `${last-saved#name}`.
    Ref {
        /// The question name.
        name: String,
        /// `last-saved#`.
        last_saved: bool,
    },
    /// A function call.
    Call {
        /// The function name, with its prefix (`jr:choice-name`).
        name: String,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A location path.
    Path {
        /// Where it starts.
        start: PathStart,
        /// Its steps (may be empty for `/` alone or a bare filter expression).
        steps: Vec<Step>,
    },
    /// A primary expression with predicates: `(${a} | ${b})[1]`.
    Filter(Box<Expr>, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ref(String, bool),
    Name(String),
    Op(&'static str),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Num(n) => write!(f, "{n}"),
            Tok::Str(s) => write!(f, "'{s}'"),
            Tok::Ref(n, _) => write!(f, "${{{n}}}"),
            Tok::Name(n) => write!(f, "{n}"),
            Tok::Op(o) => write!(f, "{o}"),
        }
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let mut out: Vec<(Tok, usize)> = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let err = |message: String, offset: usize| ParseError { message, offset };
    // XPath's disambiguation: after an operand, `*` is multiplication and a name is an
    // operator (and, or, div, mod).
    let after_operand = |out: &Vec<(Tok, usize)>| match out.last() {
        None => false,
        Some((Tok::Op(o), _)) => matches!(*o, ")" | "]" | "." | ".."),
        Some((Tok::Name(_), _)) => true,
        Some(_) => true,
    };
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|x| x.1);
        if c == '$' && next == Some('{') {
            let start = i + 2;
            let mut j = start;
            while j < chars.len() && chars[j].1 != '}' {
                j += 1;
            }
            if j >= chars.len() {
                return Err(err("'${' is never closed with '}'".into(), pos));
            }
            let inner: String = chars[start..j].iter().map(|x| x.1).collect();
            let inner = inner.trim();
            let (name, last) = match inner.strip_prefix("last-saved#") {
                Some(n) => (n.to_string(), true),
                None => (inner.to_string(), false),
            };
            if name.is_empty() {
                return Err(err("empty reference '${}'".into(), pos));
            }
            out.push((Tok::Ref(name, last), pos));
            i = j + 1;
            continue;
        }
        if c == '\''
            || c == '"'
            || c == '\u{2018}'
            || c == '\u{2019}'
            || c == '\u{201C}'
            || c == '\u{201D}'
        {
            // Spreadsheet programs turn quotes into curly ones; accept them as their pair.
            let close: &[char] = match c {
                '\'' => &['\''],
                '"' => &['"'],
                '\u{2018}' | '\u{2019}' => &['\u{2018}', '\u{2019}'],
                _ => &['\u{201C}', '\u{201D}'],
            };
            let mut j = i + 1;
            while j < chars.len() && !close.contains(&chars[j].1) {
                j += 1;
            }
            if j >= chars.len() {
                return Err(err(
                    "a string is never closed: a quote is missing".into(),
                    pos,
                ));
            }
            out.push((Tok::Str(chars[i + 1..j].iter().map(|x| x.1).collect()), pos));
            i = j + 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_ascii_digit() || chars[j].1 == '.') {
                j += 1;
            }
            let text: String = chars[i..j].iter().map(|x| x.1).collect();
            let n: f64 = text
                .parse()
                .map_err(|_| err(format!("'{text}' is not a number"), pos))?;
            out.push((Tok::Num(n), pos));
            i = j;
            continue;
        }
        if is_name_start(c) {
            let mut j = i;
            while j < chars.len() && is_name_char(chars[j].1) {
                j += 1;
            }
            // A prefix: `jr:choice-name`, `child::x` is an axis (two colons).
            if j + 1 < chars.len()
                && chars[j].1 == ':'
                && chars[j + 1].1 != ':'
                && (is_name_start(chars[j + 1].1) || chars[j + 1].1 == '*')
            {
                j += 1;
                if chars[j].1 == '*' {
                    j += 1;
                } else {
                    while j < chars.len() && is_name_char(chars[j].1) {
                        j += 1;
                    }
                }
            }
            let name: String = chars[i..j].iter().map(|x| x.1).collect();
            if after_operand(&out) && matches!(name.as_str(), "and" | "or" | "div" | "mod") {
                out.push((
                    Tok::Op(match name.as_str() {
                        "and" => "and",
                        "or" => "or",
                        "div" => "div",
                        _ => "mod",
                    }),
                    pos,
                ));
            } else {
                out.push((Tok::Name(name), pos));
            }
            i = j;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())]
            .iter()
            .map(|x| x.1)
            .collect();
        let op: &'static str = match two.as_str() {
            "!=" => "!=",
            "<=" => "<=",
            ">=" => ">=",
            "//" => "//",
            ".." => "..",
            "::" => "::",
            _ => match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '|' => "|",
                '(' => "(",
                ')' => ")",
                '[' => "[",
                ']' => "]",
                ',' => ",",
                '.' => ".",
                '@' => "@",
                _ => return Err(err(format!("unexpected character '{c}'"), pos)),
            },
        };
        if op == "*" && !after_operand(&out) {
            out.push((Tok::Name("*".into()), pos));
        } else {
            out.push((Tok::Op(op), pos));
        }
        i += op.chars().count();
    }
    Ok(out)
}

/// How deeply an expression may nest: brackets, function calls, predicates and minus signs
/// inside one another, and operators in a chain (`1 + 1 + 1` is two deep). The parser, the
/// evaluator and the tree's drop each recurse once per level, so without a limit a long
/// uploaded expression overflowed the stack and aborted the whole process (found while
/// fuzzing the parser). Real forms stay far below: the REACH needs assessment (548 rows)
/// validates with a limit of 30.
pub const MAX_DEPTH: usize = 100;

/// Parses an expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        len: src.len(),
        nesting: 0,
    };
    if p.toks.is_empty() {
        return Err(ParseError {
            message: "the expression is empty".into(),
            offset: 0,
        });
    }
    let e = p.or()?;
    // Each operator chain and each minus sign was checked as it was built; brackets and
    // calls around them can still add up to the parser's own limit.
    if depth(&e, MAX_DEPTH) > MAX_DEPTH {
        return Err(ParseError {
            offset: 0,
            ..p.too_deep()
        });
    }
    if let Some((t, pos)) = p.toks.get(p.i) {
        return Err(ParseError {
            message: format!(
                "unexpected '{t}' after a complete expression (a missing operator or bracket?)"
            ),
            offset: *pos,
        });
    }
    Ok(e)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    len: usize,
    /// How many sub-expressions the parser is inside (its own recursion).
    nesting: usize,
}

/// The depth of an expression's tree, counting up to `cap + 1` only (so it never recurses
/// deeper than the limit it checks).
fn depth(e: &Expr, cap: usize) -> usize {
    if cap == 0 {
        return 1;
    }
    let below = |e: &Expr| depth(e, cap - 1);
    1 + match e {
        Expr::Number(_) | Expr::Literal(_) | Expr::Ref { .. } => 0,
        Expr::Call { args, .. } => args.iter().map(below).max().unwrap_or(0),
        Expr::Neg(e) => below(e),
        Expr::Binary(_, l, r) => below(l).max(below(r)),
        Expr::Filter(e, predicates) => predicates
            .iter()
            .map(below)
            .max()
            .unwrap_or(0)
            .max(below(e)),
        Expr::Path { start, steps } => {
            let start = match start {
                PathStart::Expr(e) => below(e),
                _ => 0,
            };
            steps
                .iter()
                .flat_map(|s| &s.predicates)
                .map(below)
                .max()
                .unwrap_or(0)
                .max(start)
        }
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.0)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.i + n).map(|t| &t.0)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.i).map(|t| t.1).unwrap_or(self.len)
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn eat(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(self.error(format!("expected '{op}'")))
        }
    }
    fn error(&self, what: String) -> ParseError {
        let found = match self.peek() {
            Some(t) => format!(", found '{t}'"),
            None => " before the end".to_string(),
        };
        ParseError {
            message: format!("{what}{found}"),
            offset: self.pos(),
        }
    }

    fn too_deep(&self) -> ParseError {
        ParseError {
            message: format!(
                "the expression is nested too deeply (more than {MAX_DEPTH} levels of brackets, functions or operators in a row); split it into several calculations"
            ),
            offset: self.pos(),
        }
    }

    fn binary(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let mut left = next(self)?;
        // Measured once there is an operator, then kept up to date.
        let mut left_depth = None;
        'outer: loop {
            for (s, op) in ops {
                if self.eat(s) {
                    let right = next(self)?;
                    let d = left_depth
                        .unwrap_or_else(|| depth(&left, MAX_DEPTH))
                        .max(depth(&right, MAX_DEPTH))
                        + 1;
                    if d > MAX_DEPTH {
                        return Err(self.too_deep());
                    }
                    left_depth = Some(d);
                    left = Expr::Binary(*op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }
    /// Every sub-expression (in brackets, arguments, predicates) starts here: the parser's
    /// recursion is limited to [`MAX_DEPTH`].
    fn or(&mut self) -> Result<Expr, ParseError> {
        self.nested(|p| p.binary(&[("or", BinOp::Or)], Self::and))
    }
    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        if self.nesting >= MAX_DEPTH {
            return Err(self.too_deep());
        }
        self.nesting += 1;
        let e = f(self);
        self.nesting -= 1;
        e
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[("and", BinOp::And)], Self::equality)
    }
    fn equality(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[("=", BinOp::Eq), ("!=", BinOp::Ne)], Self::relational)
    }
    fn relational(&mut self) -> Result<Expr, ParseError> {
        self.binary(
            &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
            ],
            Self::additive,
        )
    }
    fn additive(&mut self) -> Result<Expr, ParseError> {
        self.binary(
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            Self::multiplicative,
        )
    }
    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        self.binary(
            &[("*", BinOp::Mul), ("div", BinOp::Div), ("mod", BinOp::Mod)],
            Self::unary,
        )
    }
    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat("-") {
            let e = self.nested(Self::unary)?;
            if depth(&e, MAX_DEPTH) >= MAX_DEPTH {
                return Err(self.too_deep());
            }
            return Ok(Expr::Neg(Box::new(e)));
        }
        self.binary(&[("|", BinOp::Union)], Self::path)
    }

    fn path(&mut self) -> Result<Expr, ParseError> {
        // Absolute paths.
        if self.is_op("/") || self.is_op("//") {
            let mut steps = Vec::new();
            if self.eat("//") {
                steps.push(descendant());
                steps.extend(self.relative_steps()?);
            } else {
                self.i += 1;
                if self.starts_step() {
                    steps.extend(self.relative_steps()?);
                }
            }
            return Ok(Expr::Path {
                start: PathStart::Root,
                steps,
            });
        }
        if self.starts_primary() {
            let mut e = self.primary()?;
            let mut preds = Vec::new();
            while self.is_op("[") {
                preds.push(self.predicate()?);
            }
            if !preds.is_empty() {
                e = Expr::Filter(Box::new(e), preds);
            }
            if self.is_op("/") || self.is_op("//") {
                let mut steps = Vec::new();
                if self.eat("//") {
                    steps.push(descendant());
                } else {
                    self.i += 1;
                }
                steps.extend(self.relative_steps()?);
                return Ok(Expr::Path {
                    start: PathStart::Expr(Box::new(e)),
                    steps,
                });
            }
            return Ok(e);
        }
        if self.starts_step() {
            let steps = self.relative_steps()?;
            return Ok(Expr::Path {
                start: PathStart::Context,
                steps,
            });
        }
        Err(self.error("expected a value, a reference or a function".into()))
    }

    fn starts_primary(&self) -> bool {
        match self.peek() {
            Some(Tok::Num(_) | Tok::Str(_) | Tok::Ref(..)) => true,
            Some(Tok::Op("(")) => true,
            Some(Tok::Name(n)) => {
                matches!(self.peek_at(1), Some(Tok::Op("(")))
                    && !matches!(
                        n.as_str(),
                        "node" | "text" | "comment" | "processing-instruction"
                    )
            }
            _ => false,
        }
    }
    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok::Name(_)) | Some(Tok::Op("." | ".." | "@"))
        )
    }

    fn relative_steps(&mut self) -> Result<Vec<Step>, ParseError> {
        let mut steps = vec![self.step()?];
        loop {
            if self.eat("/") {
                steps.push(self.step()?);
            } else if self.eat("//") {
                steps.push(descendant());
                steps.push(self.step()?);
            } else {
                return Ok(steps);
            }
        }
    }

    fn step(&mut self) -> Result<Step, ParseError> {
        if self.eat(".") {
            return Ok(Step {
                axis: Axis::SelfNode,
                name: "node()".into(),
                predicates: Vec::new(),
            });
        }
        if self.eat("..") {
            return Ok(Step {
                axis: Axis::Parent,
                name: "node()".into(),
                predicates: Vec::new(),
            });
        }
        let mut axis = Axis::Child;
        if self.eat("@") {
            axis = Axis::Attribute;
        } else if let (Some(Tok::Name(a)), Some(Tok::Op("::"))) = (self.peek(), self.peek_at(1)) {
            axis = match a.as_str() {
                "child" => Axis::Child,
                "parent" => Axis::Parent,
                "self" => Axis::SelfNode,
                "attribute" => Axis::Attribute,
                "descendant-or-self" => Axis::DescendantOrSelf,
                _ => Axis::Other,
            };
            self.i += 2;
        }
        let name = match self.peek() {
            Some(Tok::Name(n)) => n.clone(),
            _ => return Err(self.error("expected a name in the path".into())),
        };
        self.i += 1;
        let name = if matches!(self.peek(), Some(Tok::Op("("))) {
            // node(), text()
            self.i += 1;
            self.expect(")")?;
            format!("{name}()")
        } else {
            name
        };
        let mut predicates = Vec::new();
        while self.is_op("[") {
            predicates.push(self.predicate()?);
        }
        Ok(Step {
            axis,
            name,
            predicates,
        })
    }

    fn predicate(&mut self) -> Result<Expr, ParseError> {
        self.expect("[")?;
        let e = self.or()?;
        self.expect("]")?;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error("expected a value".into()));
        };
        self.i += 1;
        match t {
            Tok::Num(n) => Ok(Expr::Number(n)),
            Tok::Str(s) => Ok(Expr::Literal(s)),
            Tok::Ref(name, last_saved) => Ok(Expr::Ref { name, last_saved }),
            Tok::Op("(") => {
                let e = self.or()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Name(name) => {
                self.expect("(")?;
                let mut args = Vec::new();
                if !self.eat(")") {
                    loop {
                        args.push(self.or()?);
                        if self.eat(")") {
                            break;
                        }
                        if !self.eat(",") {
                            return Err(self.error(format!(
                                "expected ',' or ')' in the arguments of {name}()"
                            )));
                        }
                    }
                }
                Ok(Expr::Call { name, args })
            }
            _ => {
                self.i -= 1;
                Err(self.error("expected a value".into()))
            }
        }
    }
}

fn descendant() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        name: "node()".into(),
        predicates: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Expr {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_what_forms_write() {
        for s in [
            "${a} + 1",
            ". > 0 and . < 120",
            "selected(${q}, 'other')",
            "if(${age} >= 18, 'adult', 'child')",
            "jr:choice-name(${q}, '${q}')",
            "count-selected(${q}) div 2",
            "instance('c')/root/item[name = ${x}]/label",
            "indexed-repeat(${name}, ${roster}, position(..))",
            "sum(${r}/x)",
            "district = ${district} or district = ''",
            "current()/../x",
            "/data/group/q1 != ''",
            "-${a} mod 3",
            "string-length(.) = 10",
            "regex(., '^[0-9]{10}$')",
            "${a}-${b}",
            "not(selected(${a}, 'x'))",
            "(${a} | ${b})[1]",
            "format-date(today(), '%Y-%m-%d')",
            "${a}*2",
        ] {
            ok(s);
        }
    }

    #[test]
    fn structure() {
        assert_eq!(
            ok("1 + 2 * 3"),
            Expr::Binary(
                BinOp::Add,
                Box::new(Expr::Number(1.0)),
                Box::new(Expr::Binary(
                    BinOp::Mul,
                    Box::new(Expr::Number(2.0)),
                    Box::new(Expr::Number(3.0))
                ))
            )
        );
        assert!(matches!(ok("a and b"), Expr::Binary(BinOp::And, ..)));
        assert!(matches!(ok("count-selected(.)"), Expr::Call { .. }));
    }

    #[test]
    fn rejects_broken_expressions() {
        for s in [
            "${a} +",
            "if(${a} > 1, 'x'",
            "'unclosed",
            "${a",
            "1 2",
            "selected(${a},, 'x')",
            "",
            "a ++ ",
        ] {
            assert!(parse(s).is_err(), "{s} should not parse");
        }
    }
}
