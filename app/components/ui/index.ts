export { Button, LinkButton, buttonClass } from "./button";
export { TextField, SelectField, TextAreaField, FormErrors } from "./field";
export { Card, PageHeader, Alert, Badge, EmptyState, AuthPanel } from "./layout";
export { Table, Th, Td, CursorPager } from "./table";
export { cx } from "./cx";
export { HoldoutSlider } from "./holdout-slider";
