-- Issue 19: `INSERT OR REPLACE` deletes the row it conflicts with without firing the
-- append-only DELETE triggers (SQLite fires them for REPLACE only with recursive_triggers on,
-- which any other connection can leave off). These triggers refuse the insert itself when its
-- key is already taken, whatever the connection's pragmas: a plain INSERT then fails on the
-- constraint as before, and a REPLACE never reaches the deletion.
CREATE TRIGGER journal_entry_no_replace BEFORE INSERT ON journal_entry
WHEN EXISTS (SELECT 1 FROM journal_entry
             WHERE (terminal_id = new.terminal_id AND sequence = new.sequence) OR hash = new.hash)
BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only: an entry is never replaced'); END;

CREATE TRIGGER closing_no_replace BEFORE INSERT ON closing
WHEN new.id IS NOT NULL AND EXISTS (SELECT 1 FROM closing WHERE id = new.id)
BEGIN SELECT RAISE(ABORT, 'closings are append-only: a closing is never replaced'); END;

CREATE TRIGGER sale_no_replace BEFORE INSERT ON sale
WHEN EXISTS (SELECT 1 FROM sale
             WHERE (new.id IS NOT NULL AND id = new.id) OR ticket_number = new.ticket_number
                   OR (terminal_id = new.terminal_id AND seq = new.seq))
BEGIN SELECT RAISE(ABORT, 'a completed sale is never replaced'); END;

CREATE TRIGGER sale_line_no_replace BEFORE INSERT ON sale_line
WHEN EXISTS (SELECT 1 FROM sale_line WHERE sale_id = new.sale_id AND line_no = new.line_no)
BEGIN SELECT RAISE(ABORT, 'a completed sale is never replaced'); END;

CREATE TRIGGER sale_vat_no_replace BEFORE INSERT ON sale_vat
WHEN EXISTS (SELECT 1 FROM sale_vat WHERE sale_id = new.sale_id AND vat_bp = new.vat_bp)
BEGIN SELECT RAISE(ABORT, 'a completed sale is never replaced'); END;

CREATE TRIGGER sale_payment_no_replace BEFORE INSERT ON sale_payment
WHEN EXISTS (SELECT 1 FROM sale_payment WHERE sale_id = new.sale_id AND method = new.method)
BEGIN SELECT RAISE(ABORT, 'a completed sale is never replaced'); END;

CREATE TRIGGER order_return_no_replace BEFORE INSERT ON order_return
WHEN EXISTS (SELECT 1 FROM order_return
             WHERE (new.id IS NOT NULL AND id = new.id) OR number = new.number)
BEGIN SELECT RAISE(ABORT, 'a return is never replaced'); END;
