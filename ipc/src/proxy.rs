//! The one mechanism that makes every interface's client proxy and server adapter.
//!
//! [`interface!`](crate::interface) takes an interface's method list, each parameter and
//! result tagged with its wire kind, and generates:
//! - `Proxy`: implements the `interfaces` trait by calling the capnp method (blocking the
//!   caller, running callbacks meanwhile) and converting results;
//! - `Server`: implements the generated capnp `Server` trait by reading params, running the
//!   trait method on the thread the call's `Context` names, and writing results.
//!
//! A trait method whose signature no longer matches its schema (renamed field, changed type,
//! missing method) stops the crate from compiling, so trait and schema cannot drift apart.
//!
//! Wire kinds: `[text]` (`&str`/`String` <-> Text), `[data]` (`&[u8]`/`Vec<u8>` <-> Data),
//! `[prim]` (numbers and bools), `[list_prim]` (`Vec<n>` <-> List(n)), `[list_data]`
//! (`Vec<Vec<u8>>` <-> List(Data)), `[list_text]` (`&[String]`/`Vec<String>` <-> List(Text)), `[hash]` (`[u8; 32]` <-> Data of 32 bytes),
//! `[list_struct T]` (`&[T]`/`Vec<T>` <-> List(struct)), `[unit]` (no result), `[cap_box P S]` /
//! `[cap_arc P S]` (`Box<dyn T>` / `Arc<dyn T>` <-> an interface, with its proxy `P` and
//! server adapter `S`). For results only: `[opt_struct T]` (`Option<T>` <-> `result` plus
//! `hasResult`), `[opt_hash]` (`Option<[u8; 32]>` likewise), `[maybe_struct T]` (`Option<T>` <-> `result` set or not), `[opt_cap_box P S]`
//! (`Option<Box<dyn T>>` <-> a capability or null) and `[verdict]` (`BlockVerdict` <->
//! `reason`, `debug`, `result`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use capnp::{data, data_list, primitive_list, text};

/// Converts a borrowed trait argument into an owned value that can cross to the loop thread.
pub trait IntoSend {
    /// The owned form.
    type Owned: Send + 'static;
    /// Makes the owned form.
    fn into_send(self) -> Self::Owned;
}

impl IntoSend for &str {
    type Owned = String;
    fn into_send(self) -> String {
        self.to_owned()
    }
}

impl<T: Clone + Send + 'static> IntoSend for &[T] {
    type Owned = Vec<T>;
    fn into_send(self) -> Vec<T> {
        self.to_vec()
    }
}

impl<T: ?Sized + Send + Sync + 'static> IntoSend for Arc<T> {
    type Owned = Arc<T>;
    fn into_send(self) -> Arc<T> {
        self
    }
}

macro_rules! into_send_copy {
    ($($t:ty),*) => { $(impl IntoSend for $t { type Owned = $t; fn into_send(self) -> $t { self } })* };
}
into_send_copy!(bool, u8, u16, u32, u64, i8, i16, i32, i64, f32, f64, [u8; 32]);

/// Conversion between a Rust value type of the `interfaces` crate and its capnp struct (the
/// `[struct T]` wire kind). Implementations live in `crate::convert`.
pub trait WireStruct: Sized {
    /// The capnp struct.
    type Wire: capnp::traits::Owned;
    /// Reads the value (malformed input is an error, never a panic).
    fn read(reader: <Self::Wire as capnp::traits::Owned>::Reader<'_>) -> capnp::Result<Self>;
    /// Writes the value.
    fn write(&self, builder: <Self::Wire as capnp::traits::Owned>::Builder<'_>);
}

impl<T: WireStruct + Clone + Send + 'static> IntoSend for &T {
    type Owned = T;
    fn into_send(self) -> T {
        self.clone()
    }
}

/// Reads a 32-byte hash from a Data field.
pub fn read_hash(field: capnp::Result<data::Reader<'_>>) -> capnp::Result<[u8; 32]> {
    let bytes = field?;
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| capnp::Error::failed(format!("hash must be 32 bytes, got {}", bytes.len())))
}

/// Reads a Text field as an owned string (invalid UTF-8 is an error).
pub fn read_text(field: capnp::Result<text::Reader<'_>>) -> capnp::Result<String> {
    field?
        .to_string()
        .map_err(|e| capnp::Error::failed(format!("invalid UTF-8 in text: {e}")))
}

/// Reads a Data field.
pub fn read_data(field: capnp::Result<data::Reader<'_>>) -> capnp::Result<Vec<u8>> {
    field.map(<[u8]>::to_vec)
}

/// Reads a list of primitives.
pub fn read_list_prim<T: capnp::private::layout::PrimitiveElement + Copy>(
    field: capnp::Result<primitive_list::Reader<'_, T>>,
) -> capnp::Result<Vec<T>> {
    Ok(field?.iter().collect())
}

/// Reads a List(Text).
pub fn read_list_text(
    field: capnp::Result<capnp::text_list::Reader<'_>>,
) -> capnp::Result<Vec<String>> {
    field?.iter().map(read_text).collect()
}

/// Reads a List(Data).
pub fn read_list_data(field: capnp::Result<data_list::Reader<'_>>) -> capnp::Result<Vec<Vec<u8>>> {
    field?.iter().map(|d| d.map(<[u8]>::to_vec)).collect()
}

/// A list length as capnp wants it.
pub fn list_len(len: usize) -> capnp::Result<u32> {
    u32::try_from(len).map_err(|_| capnp::Error::failed(format!("list of {len} items too long")))
}

static LIVE_SERVERS: AtomicUsize = AtomicUsize::new(0);

/// How many server adapters (objects served to peers) exist in this process.
pub fn live_server_objects() -> usize {
    LIVE_SERVERS.load(Ordering::SeqCst)
}

/// Counts one live server adapter while it exists.
pub struct LiveServer {
    _objects: Option<crate::stats::ObjectGuard>,
}

impl LiveServer {
    /// Counts a new adapter.
    pub fn new() -> LiveServer {
        LIVE_SERVERS.fetch_add(1, Ordering::SeqCst);
        LiveServer { _objects: None }
    }

    /// Counts a new adapter serving an object of `interface` on connection `conn` (shown by
    /// [`crate::stats::connections`]).
    pub fn on(conn: u64, interface: &'static str) -> LiveServer {
        LIVE_SERVERS.fetch_add(1, Ordering::SeqCst);
        LiveServer {
            _objects: Some(crate::stats::ObjectGuard::new(conn, interface)),
        }
    }
}

impl Default for LiveServer {
    fn default() -> Self {
        LiveServer::new()
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        LIVE_SERVERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Drops an implementation object off the event-loop thread (its drop may block).
pub fn drop_off_loop<T: Send + 'static>(value: T) {
    if crate::runtime::on_loop_thread() {
        let spawned = std::thread::Builder::new()
            .name("ipc-drop".into())
            .spawn(move || drop(value));
        if let Err(e) = spawned {
            tracing::warn!("cannot start a thread to free an IPC object: {e}");
        }
    } else {
        drop(value);
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! __ipc_read {
    ([text], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { $crate::proxy::read_text($r.[<get_ $f>]()) } };
    ([data], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { $crate::proxy::read_data($r.[<get_ $f>]()) } };
    ([prim], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { ::capnp::Result::Ok($r.[<get_ $f>]()) } };
    ([list_prim], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { $crate::proxy::read_list_prim($r.[<get_ $f>]()) } };
    ([list_data], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { $crate::proxy::read_list_data($r.[<get_ $f>]()) } };
    ([list_text], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { $crate::proxy::read_list_text($r.[<get_ $f>]()) } };
    ([unit], $r:expr, $f:ident, $conn:expr) => { ::capnp::Result::Ok(()) };
    ([hash], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! { $crate::proxy::read_hash($r.[<get_ $f>]()) } };
    ([opt_hash], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        if $r.[<get_has_ $f>]() { $crate::proxy::read_hash($r.[<get_ $f>]()).map(Some) } else { ::capnp::Result::Ok(None) }
    } };
    ([list_struct $T:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        $r.[<get_ $f>]().and_then(|list| list.iter().map(|r| <$T as $crate::proxy::WireStruct>::read(r)).collect::<::capnp::Result<Vec<$T>>>())
    } };
    ([struct $T:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        $r.[<get_ $f>]().and_then(|r| <$T as $crate::proxy::WireStruct>::read(r))
    } };
    ([cap_box $P:ident $S:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        $r.[<get_ $f>]().map(|c| ::std::boxed::Box::new(<$P as $crate::RemoteInterface>::from_client(c.client, $conn)))
    } };
    ([cap_arc $P:ident $S:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        $r.[<get_ $f>]().map(|c| ::std::sync::Arc::new(<$P as $crate::RemoteInterface>::from_client(c.client, $conn)))
    } };
    ([opt_struct $T:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        if $r.[<get_has_ $f>]() {
            $r.[<get_ $f>]().and_then(|r| <$T as $crate::proxy::WireStruct>::read(r)).map(Some)
        } else {
            ::capnp::Result::Ok(None)
        }
    } };
    ([maybe_struct $T:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        if $r.[<has_ $f>]() {
            $r.[<get_ $f>]().and_then(|r| <$T as $crate::proxy::WireStruct>::read(r)).map(Some)
        } else {
            ::capnp::Result::Ok(None)
        }
    } };
    ([opt_cap_box $P:ident $S:ident], $r:expr, $f:ident, $conn:expr) => { $crate::paste::paste! {
        if $r.[<has_ $f>]() {
            $r.[<get_ $f>]().map(|c| Some(::std::boxed::Box::new(<$P as $crate::RemoteInterface>::from_client(c.client, $conn)) as _))
        } else {
            ::capnp::Result::Ok(None)
        }
    } };
    ([verdict], $r:expr, $f:ident, $conn:expr) => {
        (|| -> ::capnp::Result<::interfaces::BlockVerdict> {
            Ok(::interfaces::BlockVerdict {
                result: $r.get_result(),
                reason: $crate::proxy::read_text($r.get_reason())?,
                debug: $crate::proxy::read_text($r.get_debug())?,
            })
        })()
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __ipc_write {
    ([text], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{ $b.[<set_ $f>]($v.as_str()); }}
    };
    ([data], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{ $b.[<set_ $f>](&$v[..]); }}
    };
    ([prim], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{ $b.[<set_ $f>]($v); }}
    };
    ([list_prim], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            let values = $v;
            let mut list = $b.[<init_ $f>]($crate::proxy::list_len(values.len())?);
            for (i, value) in (0u32..).zip(values.iter()) { list.set(i, *value); }
        }}
    };
    ([list_data], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            let values = $v;
            let mut list = $b.[<init_ $f>]($crate::proxy::list_len(values.len())?);
            for (i, value) in (0u32..).zip(values.iter()) { list.set(i, &value[..]); }
        }}
    };
    ([list_text], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            let values = $v;
            let mut list = $b.[<init_ $f>]($crate::proxy::list_len(values.len())?);
            for (i, value) in (0u32..).zip(values.iter()) { list.set(i, value.as_str()); }
        }}
    };
    ([unit], $b:expr, $f:ident, $v:expr, $conn:expr) => {{
        let () = $v;
    }};
    ([hash], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{ $b.[<set_ $f>](&$v[..]); }}
    };
    ([opt_hash], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            if let Some(value) = $v {
                let mut b = $b;
                b.reborrow().[<set_ $f>](&value[..]);
                b.[<set_has_ $f>](true);
            }
        }}
    };
    ([list_struct $T:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            let values = &$v;
            let mut list = $b.[<init_ $f>]($crate::proxy::list_len(values.len())?);
            for (i, value) in (0u32..).zip(values.iter()) {
                $crate::proxy::WireStruct::write(value, list.reborrow().get(i));
            }
        }}
    };
    ([struct $T:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            $crate::proxy::WireStruct::write(&$v, $b.[<init_ $f>]());
        }}
    };
    ([cap_box $P:ident $S:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            $b.[<set_ $f>](::capnp_rpc::new_client($S::new(::std::sync::Arc::from($v), $conn)));
        }}
    };
    ([cap_arc $P:ident $S:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            $b.[<set_ $f>](::capnp_rpc::new_client($S::new($v, $conn)));
        }}
    };
    ([opt_struct $T:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            if let Some(value) = &$v {
                let mut b = $b;
                $crate::proxy::WireStruct::write(value, b.reborrow().[<init_ $f>]());
                b.[<set_has_ $f>](true);
            }
        }}
    };
    ([maybe_struct $T:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            if let Some(value) = &$v {
                $crate::proxy::WireStruct::write(value, $b.[<init_ $f>]());
            }
        }}
    };
    ([opt_cap_box $P:ident $S:ident], $b:expr, $f:ident, $v:expr, $conn:expr) => {
        $crate::paste::paste! {{
            if let Some(value) = $v {
                $b.[<set_ $f>](::capnp_rpc::new_client($S::new(::std::sync::Arc::from(value), $conn)));
            }
        }}
    };
    ([verdict], $b:expr, $f:ident, $v:expr, $conn:expr) => {{
        let verdict: ::interfaces::BlockVerdict = $v;
        let mut b = $b;
        b.set_result(verdict.result);
        b.reborrow().set_reason(verdict.reason.as_str());
        b.reborrow().set_debug(verdict.debug.as_str());
    }};
}

/// How a server passes an owned parameter to the trait method.
#[doc(hidden)]
#[macro_export]
macro_rules! __ipc_pass {
    ([text], $v:expr) => {
        &$v
    };
    ([data], $v:expr) => {
        &$v
    };
    ([list_prim], $v:expr) => {
        &$v
    };
    ([list_data], $v:expr) => {
        &$v
    };
    ([list_text], $v:expr) => {
        &$v
    };
    ([struct $T:ident], $v:expr) => {
        &$v
    };
    ([list_struct $T:ident], $v:expr) => {
        &$v
    };
    ([prim], $v:expr) => {
        $v
    };
    ([hash], $v:expr) => {
        $v
    };
    ([cap_box $P:ident $S:ident], $v:expr) => {
        $v
    };
    ([cap_arc $P:ident $S:ident], $v:expr) => {
        $v
    };
}

/// Generates the client proxy and the server adapter of one interface. See the module docs.
///
/// ```ignore
/// ipc::interface! {
///     /// Echo over IPC.
///     EchoProxy, EchoServer: dyn interfaces::Echo, schemas::echo_capnp::echo;
///     [destroy]
///     methods {
///         fn echo(echo: &str => [text]) -> String => [text];
///     }
/// }
/// ```
#[macro_export]
macro_rules! interface {
    (
        $(#[$meta:meta])*
        $Proxy:ident, $Server:ident : dyn $Trait:path, $($capseg:ident)::+;
        $([$destroy:ident])?
        methods {
            $( fn $method:ident ( $( $arg:ident : $argty:ty => $argkind:tt ),* ) -> $ret:ty => $retkind:tt ; )*
        }
        $( loop_methods {
            $( fn $lmethod:ident () -> $lret:ty => $lretkind:tt ; )*
        } )?
        $( server_extra { $($extra:tt)* } )?
    ) => { $crate::paste::paste! {
        use $($capseg)::+ as [<$Proxy:snake _capnp>];
        $crate::interface!(@gen [<$Proxy:snake _capnp>], $(#[$meta])* $Proxy, $Server : dyn $Trait;
            $([$destroy])?
            methods { $( fn $method ( $( $arg : $argty => $argkind ),* ) -> $ret => $retkind ; )* }
            $( loop_methods { $( fn $lmethod () -> $lret => $lretkind ; )* } )?
            $( server_extra { $($extra)* } )?
        );
    } };
    (@gen $cap:ident, $(#[$meta:meta])* $Proxy:ident, $Server:ident : dyn $Trait:path;
        $([$destroy:ident])?
        methods {
            $( fn $method:ident ( $( $arg:ident : $argty:ty => $argkind:tt ),* ) -> $ret:ty => $retkind:tt ; )*
        }
        $( loop_methods {
            $( fn $lmethod:ident () -> $lret:ty => $lretkind:tt ; )*
        } )?
        $( server_extra { $($extra:tt)* } )?
    ) => { $crate::paste::paste! {
        $(#[$meta])*
        #[doc = "Client proxy: implements the trait by calling the remote object."]
        pub struct $Proxy {
            cap: $crate::client::CapRef,
        }

        impl $Proxy {
            /// The capnp methods this proxy and its server adapter implement (snake case).
            pub const METHODS: &'static [&'static str] = &[
                $(stringify!($method),)*
                $($(stringify!($lmethod),)*)?
                $(stringify!($destroy),)?
            ];
        }

        impl $crate::RemoteInterface for $Proxy {
            const INTERFACE_ID: u64 = <$cap::Client as ::capnp::traits::HasTypeId>::TYPE_ID;
            fn from_client(client: ::capnp::capability::Client, conn: u64) -> Self {
                $Proxy { cap: $crate::client::CapRef::new_on_loop(conn, client) }
            }
        }

        impl $Trait for $Proxy {
            $(
                fn $method(&self $(, $arg: $argty)*) -> ::std::result::Result<$ret, ::interfaces::Error> {
                    $( let $arg = $crate::proxy::IntoSend::into_send($arg); )*
                    self.cap.call(stringify!($method), move |setup: $crate::client::CallSetup| {
                        let client = $cap::Client { client: setup.client.clone() };
                        let mut request = client.[<$method _request>]();
                        let built = (|| -> ::capnp::Result<()> {
                            let mut params = request.get();
                            setup.fill_context(params.reborrow().init_context());
                            $( $crate::__ipc_write!($argkind, params.reborrow(), $arg, $arg, setup.conn); )*
                            Ok(())
                        })();
                        #[allow(unused_variables)]
                        let conn = setup.conn;
                        async move {
                            built.map_err($crate::client::from_capnp)?;
                            let response = request.send().promise.await.map_err($crate::client::from_capnp)?;
                            let results = response.get().map_err($crate::client::from_capnp)?;
                            let _ = &results;
                            let value: $ret = $crate::__ipc_read!($retkind, results, result, conn).map_err($crate::client::from_capnp)?;
                            Ok(value)
                        }
                    })
                }
            )*
            $($(
                fn $lmethod(&self) -> ::std::result::Result<$lret, ::interfaces::Error> {
                    self.cap.call(stringify!($lmethod), move |setup: $crate::client::CallSetup| {
                        let client = $cap::Client { client: setup.client.clone() };
                        let request = client.[<$lmethod _request>]();
                        #[allow(unused_variables)]
                        let conn = setup.conn;
                        async move {
                            let response = request.send().promise.await.map_err($crate::client::from_capnp)?;
                            let results = response.get().map_err($crate::client::from_capnp)?;
                            let _ = &results;
                            let value: $lret = $crate::__ipc_read!($lretkind, results, result, conn).map_err($crate::client::from_capnp)?;
                            Ok(value)
                        }
                    })
                }
            )*)?
        }

        $crate::__ipc_destroy_on_drop!($Proxy, $cap, $($destroy)?);

        #[doc = "Server adapter: serves any implementation of the trait to a peer."]
        pub struct $Server {
            imp: ::std::cell::RefCell<Option<::std::sync::Arc<dyn $Trait>>>,
            conn: u64,
            _live: $crate::proxy::LiveServer,
        }

        impl $Server {
            /// Serves `imp` on connection `conn`.
            pub fn new(imp: ::std::sync::Arc<dyn $Trait>, conn: u64) -> Self {
                let interface = stringify!($Proxy);
                let interface = interface.strip_suffix("Proxy").unwrap_or(interface);
                $Server { imp: ::std::cell::RefCell::new(Some(imp)), conn, _live: $crate::proxy::LiveServer::on(conn, interface) }
            }

            fn imp(&self) -> ::capnp::Result<::std::sync::Arc<dyn $Trait>> {
                self.imp.borrow().clone().ok_or_else(|| ::capnp::Error::failed(
                    "object already destroyed".to_string()))
            }
        }

        impl Drop for $Server {
            fn drop(&mut self) {
                if let Some(imp) = self.imp.get_mut().take() {
                    $crate::proxy::drop_off_loop(imp);
                }
            }
        }

        impl $cap::Server for $Server {
            $(
                #[allow(unused_mut)]
                fn $method(
                    self: ::std::rc::Rc<Self>,
                    params: $cap::[<$method:camel Params>],
                    mut results: $cap::[<$method:camel Results>],
                ) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::capnp::Error>> + 'static {
                    let conn = self.conn;
                    let prepared = (|| -> ::capnp::Result<_> {
                        let p = params.get()?;
                        let ctx = $crate::threads::CallContext::read(p.get_context())?;
                        $( let $arg = $crate::__ipc_read!($argkind, p, $arg, conn)?; )*
                        Ok((ctx, self.imp()?, ($($arg,)*)))
                    })();
                    async move {
                        let (ctx, imp, ($($arg,)*)) = prepared?;
                        let work = move || imp.$method($($crate::__ipc_pass!($argkind, $arg)),*);
                        let out = $crate::threads::run_in_context(conn, stringify!($method), ctx, work).await?;
                        let out = out.map_err($crate::client::to_capnp)?;
                        let _ = &mut results;
                        $crate::__ipc_write!($retkind, results.get(), result, out, conn);
                        Ok(())
                    }
                }
            )*
            $($(
                fn $lmethod(
                    self: ::std::rc::Rc<Self>,
                    _: $cap::[<$lmethod:camel Params>],
                    mut results: $cap::[<$lmethod:camel Results>],
                ) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::capnp::Error>> + 'static {
                    #[allow(unused_variables)]
                    let conn = self.conn;
                    let done = (|| -> ::capnp::Result<()> {
                        let out = self.imp()?.$lmethod().map_err($crate::client::to_capnp)?;
                        let _ = &mut results;
                        $crate::__ipc_write!($lretkind, results.get(), result, out, conn);
                        Ok(())
                    })();
                    ::std::future::ready(done)
                }
            )*)?
            $crate::__ipc_destroy_server!($Server, $cap, $($destroy)?);
            $($($extra)*)?
        }
    } };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __ipc_destroy_on_drop {
    ($Proxy:ident, $cap:ident, ) => {};
    ($Proxy:ident, $cap:ident, destroy) => { $crate::paste::paste! {
        impl Drop for $Proxy {
            /// Calls `destroy` so the server frees the object before the drop returns (as
            /// libmultiprocess does); skipped where blocking is not allowed.
            fn drop(&mut self) {
                if $crate::runtime::on_loop_thread() {
                    return;
                }
                let result = self.cap.call("destroy", move |setup: $crate::client::CallSetup| {
                    let client = $cap::Client { client: setup.client.clone() };
                    let mut request = client.destroy_request();
                    setup.fill_context(request.get().init_context());
                    async move {
                        request.send().promise.await.map(drop).map_err($crate::client::from_capnp)
                    }
                });
                if let Err(e) = result {
                    ::tracing::debug!("IPC client: destroy on drop failed: {e}");
                }
            }
        }
    } };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __ipc_destroy_server {
    ($Server:ident, $cap:ident, ) => {};
    ($Server:ident, $cap:ident, destroy) => { $crate::paste::paste! {
        fn destroy(
            self: ::std::rc::Rc<Self>,
            params: $cap::DestroyParams,
            _: $cap::DestroyResults,
        ) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::capnp::Error>> + 'static {
            let conn = self.conn;
            let imp = self.imp.borrow_mut().take();
            let ctx = params.get().and_then(|p| $crate::threads::CallContext::read(p.get_context()));
            async move {
                $crate::threads::run_in_context(conn, "destroy", ctx?, move || drop(imp)).await
            }
        }
    } };
}
