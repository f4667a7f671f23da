/** The cost and token ledger, prices and budgets. */
export { Ledger, BudgetExceededError, type Budget, type BudgetScope, type LedgerEntry, type LedgerOptions, type Price, type Prices, type RunSpend, type Spend } from './ledger.js'
export { ledgerBackend, type BudgetCheck, type LedgerBackendOptions } from './backend.js'
