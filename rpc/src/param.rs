//! How a method declares one parameter (Core's `RPCArg`): its names, type, what happens when
//! it is left out, and its help text; and Core's type check of a passed value against it.

use serde_json::Value;

use crate::protocol::type_name;

/// A parameter's type (Core's `RPCArg::Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A string.
    Str,
    /// A hex string.
    StrHex,
    /// A number.
    Num,
    /// A number or a string (checked by the handler).
    Amount,
    /// A number or an `[begin, end]` array (checked by the handler).
    Range,
    /// A boolean.
    Bool,
    /// An object with the listed keys.
    Obj,
    /// An object with keys chosen by the user.
    ObjUserKeys,
    /// An options object whose members may also be passed as top-level named parameters.
    ObjNamedParams,
    /// An array.
    Arr,
}

/// What happens when a parameter is not given (Core's `RPCArg::Fallback`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// It must be given.
    Required,
    /// It may be left out and has no default.
    Omitted,
    /// It may be left out; the handler decides, the help shows this hint.
    Hint(&'static str),
    /// It may be left out and then has this value.
    Default(Value),
}

/// One parameter (Core's `RPCArg`).
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name, or names separated by `|` (the first is shown in help).
    pub names: &'static str,
    /// Its type.
    pub ty: ParamType,
    /// When it is not given.
    pub fallback: Fallback,
    /// Help text.
    pub description: &'static str,
    /// Members of an object or elements of an array, for the help text (and the named
    /// members of an [`ParamType::ObjNamedParams`]).
    pub inner: Vec<Param>,
    /// Left out of the help (this and every later parameter).
    pub hidden: bool,
    /// Accept any JSON type.
    pub skip_type_check: bool,
    /// For a member of an [`ParamType::ObjNamedParams`]: also a positional parameter.
    pub also_positional: bool,
    /// What the one-line summary shows instead of the name.
    pub oneline: Option<&'static str>,
}

impl Param {
    fn new(names: &'static str, ty: ParamType, fallback: Fallback, desc: &'static str) -> Param {
        Param {
            names,
            ty,
            fallback,
            description: desc,
            inner: Vec::new(),
            hidden: false,
            skip_type_check: false,
            also_positional: false,
            oneline: None,
        }
    }

    /// A parameter that must be given.
    pub fn required(names: &'static str, ty: ParamType, description: &'static str) -> Param {
        Param::new(names, ty, Fallback::Required, description)
    }

    /// An optional parameter without a default.
    pub fn optional(names: &'static str, ty: ParamType, description: &'static str) -> Param {
        Param::new(names, ty, Fallback::Omitted, description)
    }

    /// An optional parameter whose default the handler computes; `hint` describes it.
    pub fn hint(
        names: &'static str,
        ty: ParamType,
        hint: &'static str,
        description: &'static str,
    ) -> Param {
        Param::new(names, ty, Fallback::Hint(hint), description)
    }

    /// An optional parameter with a default value.
    pub fn default(
        names: &'static str,
        ty: ParamType,
        default: impl Into<Value>,
        description: &'static str,
    ) -> Param {
        Param::new(names, ty, Fallback::Default(default.into()), description)
    }

    /// With these members (objects) or element descriptions (arrays).
    pub fn inner(mut self, inner: Vec<Param>) -> Param {
        self.inner = inner;
        self
    }

    /// Hidden from help (with every later parameter).
    pub fn hidden(mut self) -> Param {
        self.hidden = true;
        self
    }

    /// Accepting any JSON type.
    pub fn skip_type_check(mut self) -> Param {
        self.skip_type_check = true;
        self
    }

    /// Shown as `text` in the one-line summary.
    pub fn oneline(mut self, text: &'static str) -> Param {
        self.oneline = Some(text);
        self
    }

    /// The first of its names.
    pub fn first_name(&self) -> &'static str {
        self.names.split('|').next().unwrap_or(self.names)
    }

    /// Whether it may be left out.
    pub fn is_optional(&self) -> bool {
        self.fallback != Fallback::Required
    }

    /// Core's `RPCArg::MatchesType`: `None` when `value` is acceptable, else why not.
    pub fn mismatch(&self, value: &Value) -> Option<String> {
        if self.skip_type_check || (self.is_optional() && value.is_null()) {
            return None;
        }
        let expected = match self.ty {
            ParamType::Str | ParamType::StrHex => "string",
            ParamType::Num => "number",
            ParamType::Bool => "bool",
            ParamType::Obj | ParamType::ObjUserKeys | ParamType::ObjNamedParams => "object",
            ParamType::Arr => "array",
            ParamType::Amount | ParamType::Range => return None,
        };
        let actual = type_name(value);
        (actual != expected)
            .then(|| format!("JSON value of type {actual} is not of expected type {expected}"))
    }
}
