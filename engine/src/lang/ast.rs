//! sakk's own syntax tree for HCL, with a source range on every node.
//!
//! Native syntax (`.tf`) is parsed by hcl-edit and lowered into these types (see `parse`);
//! JSON syntax (`.tf.json`) is lowered into the same types (see `json`), so everything above
//! the parser sees one shape.

use crate::diag::Range;

/// The body of a file or of a block: attributes and nested blocks, in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    /// The whole body (for a file: the whole file).
    pub range: Range,
    /// Written in JSON syntax (`.tf.json`): a property whose name is a nested block type of the
    /// schema the body is decoded with is a block there, not an argument (see
    /// [`json::with_block_types`](super::json::with_block_types)).
    pub json: bool,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub name_range: Range,
    pub expr: Expr,
    /// `name = expr`, whole.
    pub range: Range,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The block type (`resource`, `variable`, `lifecycle`, ...).
    pub kind: String,
    pub kind_range: Range,
    pub labels: Vec<String>,
    pub label_ranges: Vec<Range>,
    pub body: Body,
    /// The header: from the type to the opening brace. Used to point at "the block".
    pub def_range: Range,
    /// The whole block.
    pub range: Range,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: Range,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// A number literal as written (decimal or exponent form); converted exactly by the evaluator.
    Number(String),
    /// A string literal without interpolation.
    String(String),
    /// A string or heredoc with interpolations or directives. A template that consists of a single
    /// interpolation (`"${x}"`) is lowered to `x` itself, as in Terraform.
    Template(Vec<TemplatePart>),
    Tuple(Vec<Expr>),
    Object(Vec<ObjectItem>),
    /// A bare name: the root of a reference (`var`, `local`, `aws_s3_bucket`, `each`, ...), or a
    /// for-expression's iteration variable.
    Variable(String),
    /// `base.attr`, `base[index]`, `base.0`.
    Traversal {
        base: Box<Expr>,
        ops: Vec<TraversalOp>,
    },
    /// `source[*].each...` (full splat) or `source.*.attr...` (legacy attribute splat). `each` is
    /// applied to every element of `source`.
    Splat {
        source: Box<Expr>,
        each: Vec<TraversalOp>,
    },
    FuncCall {
        name: String,
        name_range: Range,
        args: Vec<Expr>,
        /// `f(a, list...)`: the last argument is expanded into separate arguments.
        expand_final: bool,
    },
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        other: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    For(Box<ForExpr>),
    Parens(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectItem {
    pub key: ObjectKey,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObjectKey {
    /// A bare identifier key: always the literal string.
    Ident(String, Range),
    /// Any other expression, evaluated (a parenthesised name is a reference).
    Expr(Expr),
}

impl ObjectKey {
    pub fn range(&self) -> &Range {
        match self {
            ObjectKey::Ident(_, r) => r,
            ObjectKey::Expr(e) => &e.range,
        }
    }
    /// The key as a static string, if it is an identifier or a string literal.
    pub fn as_static(&self) -> Option<&str> {
        match self {
            ObjectKey::Ident(s, _) => Some(s),
            ObjectKey::Expr(Expr {
                kind: ExprKind::String(s),
                ..
            }) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TraversalOp {
    GetAttr(String, Range),
    Index(Expr),
    /// `.0`: legacy index syntax.
    LegacyIndex(u64, Range),
}

impl TraversalOp {
    pub fn range(&self) -> &Range {
        match self {
            TraversalOp::GetAttr(_, r) | TraversalOp::LegacyIndex(_, r) => r,
            TraversalOp::Index(e) => &e.range,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// Present for the object form `{for k, v in c : key => value}`.
    pub key_expr: Option<Expr>,
    pub value_expr: Expr,
    pub cond: Option<Expr>,
    /// `value...`: group values with the same key into lists.
    pub grouping: bool,
}

/// A part of a template. Strip markers (`~`) are applied while lowering, so literals here are
/// exactly the text to emit.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Literal(String),
    Interp(Expr),
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        other: Vec<TemplatePart>,
        range: Range,
    },
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expr,
        body: Vec<TemplatePart>,
        range: Range,
    },
}

impl Expr {
    /// Calls `f` on every direct sub-expression.
    pub fn children<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Variable(_) => {}
            ExprKind::Template(parts) => template_children(parts, f),
            ExprKind::Tuple(items) => items.iter().for_each(f),
            ExprKind::Object(items) => {
                for it in items {
                    if let ObjectKey::Expr(k) = &it.key {
                        f(k);
                    }
                    f(&it.value);
                }
            }
            ExprKind::Traversal { base, ops } => {
                f(base);
                ops_children(ops, f);
            }
            ExprKind::Splat { source, each } => {
                f(source);
                ops_children(each, f);
            }
            ExprKind::FuncCall { args, .. } => args.iter().for_each(f),
            ExprKind::Conditional { cond, then, other } => {
                f(cond);
                f(then);
                f(other);
            }
            ExprKind::Unary { expr, .. } => f(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::For(fe) => {
                f(&fe.collection);
                if let Some(k) = &fe.key_expr {
                    f(k);
                }
                f(&fe.value_expr);
                if let Some(c) = &fe.cond {
                    f(c);
                }
            }
            ExprKind::Parens(e) => f(e),
        }
    }
}

fn ops_children<'a>(ops: &'a [TraversalOp], f: &mut dyn FnMut(&'a Expr)) {
    for op in ops {
        if let TraversalOp::Index(e) = op {
            f(e);
        }
    }
}

fn template_children<'a>(parts: &'a [TemplatePart], f: &mut dyn FnMut(&'a Expr)) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => f(e),
            TemplatePart::If {
                cond, then, other, ..
            } => {
                f(cond);
                template_children(then, f);
                template_children(other, f);
            }
            TemplatePart::For {
                collection, body, ..
            } => {
                f(collection);
                template_children(body, f);
            }
        }
    }
}
