/** Weekly working hours in the tenant's time zone (ISO weekdays, minutes after midnight). */
export interface BusinessHours {
  weekdays: number[];
  startMinute: number;
  endMinute: number;
}

export interface StoredTenant {
  id: string;
  displayName: string;
  /** IANA name, canonical spelling. */
  timeZone: string;
  /** null: the Mon-Fri 09:00-17:00 default. */
  businessHours: BusinessHours | null;
  disabledAt: Date | null;
  version: bigint;
  createTime: Date;
  updateTime: Date;
}

export interface NewTenant {
  id: string;
  displayName: string;
  timeZone: string;
  businessHours: BusinessHours | null;
}

export interface TenantPatch {
  displayName: string;
  timeZone: string;
  businessHours: BusinessHours | null;
  disabled: boolean;
}
