//! Why the returns page refuses: the errors of a return (of a sale, of an online order, of goods
//! without a receipt) as a kind and the ticket, order or product it names, which the `.slint`
//! side words in the screen's language (issue 17: no English sentence on a French screen).

use slint::SharedString;

use crate::app::pickup::PickupAppError;
use crate::app::product_card::ProductCardError;
use crate::app::sale_return::SaleReturnError;
use crate::domain::pickup::ReturnError;
use crate::domain::receipt_code::ReceiptCodeError;
use crate::domain::signed_code::PickupCodeError;

use super::ReturnProblem;

/// A refusal: its kind, and the ticket, order or product it names ("" when none).
pub type Refusal = (ReturnProblem, SharedString);

/// Nothing to say: the page stays as it is.
pub fn silent() -> Refusal {
    (ReturnProblem::None, SharedString::new())
}

pub fn of_sale(error: &SaleReturnError) -> Refusal {
    match error {
        SaleReturnError::Code(ReceiptCodeError::WrongPrefix) => {
            named(ReturnProblem::NotAReceipt, "")
        }
        SaleReturnError::Code(ReceiptCodeError::Malformed(_)) => {
            named(ReturnProblem::DamagedCode, "")
        }
        SaleReturnError::Code(ReceiptCodeError::Forged { ticket }) => {
            named(ReturnProblem::Forged, ticket)
        }
        SaleReturnError::UnknownSale { ticket, .. } => named(ReturnProblem::UnknownSale, ticket),
        SaleReturnError::OtherStoreOffline { ticket, .. } => {
            named(ReturnProblem::OtherStoreOffline, ticket)
        }
        SaleReturnError::Training(ticket) => named(ReturnProblem::TrainingSale, ticket),
        SaleReturnError::Return(error) => of_return(error),
        SaleReturnError::NoReceiptCreditOnly => named(ReturnProblem::CreditOnly, ""),
        SaleReturnError::UnknownProduct(code) => named(ReturnProblem::UnknownProduct, code),
        other => failed(other),
    }
}

pub fn of_order(error: &PickupAppError) -> Refusal {
    match error {
        PickupAppError::Code(PickupCodeError::OtherStore { store }) => {
            named(ReturnProblem::OtherStoreOrder, store)
        }
        PickupAppError::Code(_) => named(ReturnProblem::PickupCodeRefused, ""),
        PickupAppError::UnknownOrder { id } => named(ReturnProblem::UnknownOrder, id),
        PickupAppError::OrderUnavailable { id } => named(ReturnProblem::OrderUnavailable, id),
        PickupAppError::Return(error) => of_return(error),
        PickupAppError::Product(error) => of_card(error),
        other => failed(other),
    }
}

/// A product scanned without a receipt that gives no product.
pub fn of_card(error: &ProductCardError) -> Refusal {
    match error {
        ProductCardError::Unreadable(_) | ProductCardError::NotAProduct { .. } => {
            named(ReturnProblem::NotAProduct, "")
        }
        ProductCardError::UnknownGtin { gtin } => {
            named(ReturnProblem::UnknownProduct, gtin.as_str())
        }
        ProductCardError::UnknownItemCode { item_code } => {
            named(ReturnProblem::UnknownProduct, item_code)
        }
        other => failed(other),
    }
}

pub fn of_return(error: &ReturnError) -> Refusal {
    match error {
        ReturnError::NotInOrder { gtin } => named(ReturnProblem::NotInOrder, gtin),
        ReturnError::TooMany { left, .. } => {
            named(ReturnProblem::AlreadyReturned, &left.to_string())
        }
        ReturnError::Nothing => named(ReturnProblem::NothingChosen, ""),
    }
}

fn named(problem: ReturnProblem, detail: &str) -> Refusal {
    (problem, detail.into())
}

/// What the page cannot word (the database, the journal): logged, and said as a failure.
fn failed(error: &dyn std::error::Error) -> Refusal {
    tracing::error!(%error, "return refused");
    named(ReturnProblem::Failed, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_what_it_is_about() {
        let unknown = SaleReturnError::UnknownSale {
            store: "PAR-01".into(),
            ticket: "T01-000042".into(),
        };
        assert_eq!(
            of_sale(&unknown),
            (ReturnProblem::UnknownSale, "T01-000042".into())
        );
        let twice = ReturnError::TooMany {
            gtin: "03760000000094".into(),
            asked: 2,
            left: 0,
            returned: 2,
        };
        assert_eq!(
            of_order(&PickupAppError::Return(twice)),
            (ReturnProblem::AlreadyReturned, "0".into())
        );
        assert_eq!(
            of_return(&ReturnError::Nothing).0,
            ReturnProblem::NothingChosen
        );
    }
}
