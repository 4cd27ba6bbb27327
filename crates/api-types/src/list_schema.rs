//! The OpenAPI schema of [`List<T>`](crate::List), written by hand: utoipa 5's derive copies
//! a generic argument's whole schema into each list (`List_Ticket.data.items` a second
//! `Ticket`), so a client generated from the document gets two types for one resource.
//! Here `data.items` is a `$ref` to the item's own schema, which is registered beside the list.

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::{List, ListMeta};

impl<T: ToSchema> utoipa::__dev::ComposeSchema for List<T> {
    fn compose(_inlined_generics: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("A list: `{data, meta}`."))
            .property("data", ArrayBuilder::new().items(Ref::from_schema_name(T::name())))
            .required("data")
            .property("meta", Ref::from_schema_name(ListMeta::name()))
            .required("meta")
            .into()
    }
}

impl<T: ToSchema> ToSchema for List<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("List")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
        schemas.push((ListMeta::name().into_owned(), ListMeta::schema()));
        ListMeta::schemas(schemas);
    }
}
