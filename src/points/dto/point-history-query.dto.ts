import { PageQuery } from '../../common/http/pagination.js';

export class PointHistoryQueryDto extends PageQuery({ defaultLimit: 20, maxLimit: 100 }) {}
