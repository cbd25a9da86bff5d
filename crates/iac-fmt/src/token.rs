//! The token model shared by the lexer and the formatting passes.
//!
//! Formatting only ever changes `spaces` (the whitespace before a token);
//! a token's `text` is emitted exactly as lexed.

/// The kinds of token the formatter distinguishes. They mirror the token
/// types of HashiCorp's `hclsyntax` scanner, because the spacing rules of
/// `terraform fmt` are expressed in terms of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    /// `"` opening a quoted template.
    OQuote,
    /// `"` closing a quoted template.
    CQuote,
    /// Literal text inside a quoted template (escapes included verbatim).
    QuotedLit,
    /// `${` or `${~`.
    TemplateInterp,
    /// `%{` or `%{~`.
    TemplateControl,
    /// `}` or `~}` closing an interpolation or directive.
    TemplateSeqEnd,
    /// A whole heredoc, from `<<` through the closing marker, kept verbatim.
    Heredoc,
    NumberLit,
    Ident,
    /// `#` or `//` comment, without its terminating newline.
    LineComment,
    /// `/* ... */` comment (may span lines).
    BlockComment,
    Newline,
    Equal,
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Dot,
    Comma,
    DoubleColon,
    Ellipsis,
    FatArrow,
    Question,
    Colon,
    /// Anything the lexer did not recognise; emitted verbatim.
    Invalid,
}

#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Number of spaces to emit before this token.
    pub spaces: usize,
}

impl Kind {
    /// Net change in bracket nesting caused by a token of this kind
    /// (`tokenBracketChange` in hclwrite).
    pub(crate) fn bracket_change(self) -> i32 {
        match self {
            Kind::OBrace | Kind::OBrack | Kind::OParen | Kind::TemplateInterp | Kind::TemplateControl => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

/// Display width of a token sequence, counting the spaces before each token
/// (`Tokens.Columns` in hclwrite). Widths are counted in `char`s.
pub(crate) fn columns(tokens: &[Token<'_>]) -> usize {
    tokens.iter().map(|t| t.spaces + t.text.chars().count()).sum()
}
